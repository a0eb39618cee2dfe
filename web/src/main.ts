/** The web app: Vue 3 with the Element Plus components it uses (each imported by name: the rest is not bundled). */
import { createApp } from 'vue';
// The styles of the components used (each with those it needs), not the whole theme.
import 'element-plus/es/components/base/style/css';
import 'element-plus/es/components/button/style/css';
import 'element-plus/es/components/dialog/style/css';
import 'element-plus/es/components/input/style/css';
import 'element-plus/es/components/select/style/css';
import 'element-plus/es/components/form/style/css';
import 'element-plus/es/components/form-item/style/css';
import 'element-plus/es/components/checkbox/style/css';
import 'element-plus/es/components/alert/style/css';
import './style.css';
import App from './App.vue';
import { lang } from './i18n';

document.documentElement.lang = lang.value;
createApp(App).mount('#app');
