/**
 * The web app's build (npm run build:web): web/ → dist/web, with relative asset paths (served at
 * `/` by `yibao serve`, or under any prefix), hashed file names, everything bundled (no CDN).
 */
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [vue()],
  define: {
    // The Options API is not used: the bundle is smaller without it.
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npx vite --config web/vite.config.ts` beside a `yibao serve` on 8080.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});
