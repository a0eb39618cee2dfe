/** The web app: Vue 3 with the Element Plus components it uses (each imported by name: the rest is not bundled). */
import { createApp } from 'vue';
import 'element-plus/dist/index.css';
import './style.css';
import App from './App.vue';
import { lang } from './i18n';

document.documentElement.lang = lang.value;
createApp(App).mount('#app');
