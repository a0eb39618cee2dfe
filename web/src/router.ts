/**
 * A tiny hash router (#/path): the app is one index.html wherever it is served, so its relative
 * asset paths always resolve; the query string before the hash stays the page's own (the
 * calculator's shareable form). Later pages add their routes to ROUTES.
 */
import { type Component, computed, defineAsyncComponent, ref } from 'vue';
import Calculator from './pages/Calculator.vue';

export interface Route {
  path: string;
  /** The i18n key of its name in the navigation. */
  name: 'calculator' | 'policies' | 'clerk' | 'analysis' | 'stats';
  component: Component;
  /** The roles that may open it; none: public. */
  roles?: string[];
}

const Policies = defineAsyncComponent(() => import('./pages/Policies.vue'));

export const ROUTES: Route[] = [
  { path: '/', name: 'calculator', component: Calculator },
  { path: '/policies', name: 'policies', component: Policies },
  { path: '/clerk', name: 'clerk', component: defineAsyncComponent(() => import('./pages/Clerk.vue')), roles: ['agency', 'institution'] },
  { path: '/analysis', name: 'analysis', component: defineAsyncComponent(() => import('./pages/Analysis.vue')), roles: ['analyst', 'agency'] },
  { path: '/stats', name: 'stats', component: defineAsyncComponent(() => import('./pages/Stats.vue')), roles: ['analyst', 'agency'] },
];

const NotFound = defineAsyncComponent(() => import('./pages/NotFound.vue'));

const pathOf = () => location.hash.replace(/^#/, '').split('?')[0] || '/';
export const currentPath = ref(pathOf());
window.addEventListener('hashchange', () => {
  currentPath.value = pathOf();
});

export const currentRoute = computed(() => ROUTES.find((r) => r.path === currentPath.value));
export const currentComponent = computed<Component>(() => currentRoute.value?.component ?? NotFound);

export function navigate(path: string): void {
  location.hash = `#${path}`;
}
