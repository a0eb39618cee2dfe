/**
 * A tiny hash router (#/path): the app is one index.html wherever it is served, so its relative
 * asset paths always resolve; the query string before the hash stays the page's own (the
 * calculator's shareable form). Later pages add their routes to ROUTES.
 */
import { type Component, computed, defineAsyncComponent, ref } from 'vue';
import { apiKey, whoami, whoamiLoading } from './api';
import Calculator from './pages/Calculator.vue';

export interface Route {
  path: string;
  /** The i18n key of its name in the navigation. */
  name: 'calculator' | 'policies' | 'clerk' | 'analysis' | 'stats' | 'clearing' | 'supervision' | 'reconciliations' | 'budgets';
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
  { path: '/clearing', name: 'clearing', component: defineAsyncComponent(() => import('./pages/Clearing.vue')), roles: ['agency', 'analyst'] },
  { path: '/supervision', name: 'supervision', component: defineAsyncComponent(() => import('./pages/Supervision.vue')), roles: ['agency', 'analyst', 'institution'] },
  { path: '/reconciliations', name: 'reconciliations', component: defineAsyncComponent(() => import('./pages/Reconciliations.vue')), roles: ['agency', 'institution'] },
  { path: '/budgets', name: 'budgets', component: defineAsyncComponent(() => import('./pages/Budgets.vue')), roles: ['agency', 'analyst'] },
];

const NotFound = defineAsyncComponent(() => import('./pages/NotFound.vue'));

const pathOf = () => location.hash.replace(/^#/, '').split('?')[0] || '/';
export const currentPath = ref(pathOf());
window.addEventListener('hashchange', () => {
  currentPath.value = pathOf();
});

export const currentRoute = computed(() => ROUTES.find((r) => r.path === currentPath.value));

const Forbidden = defineAsyncComponent(() => import('./pages/Forbidden.vue'));

/** Whether the signed-in key's role may open a route (a route naming no roles is public). */
export function mayOpen(route: Route): boolean {
  return !route.roles || (whoami.value !== null && route.roles.includes(whoami.value.role));
}

/**
 * The page shown: the route's own when the key's role may open it; 无权访问 (Forbidden) when it may
 * not or no key is signed in; nothing while the service is still being asked who the key is. The API
 * checks every request anyway: this only keeps a page from being shown to whom it is not for.
 */
export const currentComponent = computed<Component | null>(() => {
  const route = currentRoute.value;
  if (!route) return NotFound;
  if (mayOpen(route)) return route.component;
  if (apiKey.value && whoamiLoading.value) return null;
  return Forbidden;
});

export function navigate(path: string): void {
  location.hash = `#${path}`;
}
