/**
 * The web application (网页端) at `/`: the files Vite built into dist/web (`npm run build:web`),
 * served as they are. Hashed assets (dist/web/assets/*) are cached for a year, index.html never
 * (a new build is seen at once). The app routes by the URL's hash (`/#/policies`), so it owns `/`
 * alone: any other path the service does not know is its JSON 404, as before. Without a build, `/`
 * answers a short page saying how to build it, never a 500. The app reaches data only through the API.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** dist/web at the package root (the folder with package.json and policies/, from src/api or dist/src/api). */
export const DEFAULT_WEB_DIR = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'policies'))) return join(dir, 'dist', 'web');
    const up = dirname(dir);
    if (up === dir) return join(process.cwd(), 'dist', 'web');
    dir = up;
  }
})();

/** Hashed files: their name changes with their content. */
const YEAR = 'public, max-age=31536000, immutable';

const NOT_BUILT = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>医保结算 — 网页端未构建 / web app not built</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto;line-height:1.6">
<h1>网页端尚未构建</h1>
<p>请在 yibao 软件包目录下运行 <code>npm run build:web</code>，然后重新启动 <code>yibao serve</code>。接口（/v1）与接口文档（<a href="/docs">/docs</a>）不受影响。</p>
<h2 lang="en">The web app is not built</h2>
<p lang="en">Run <code>npm run build:web</code> in the yibao package, then restart <code>yibao serve</code>. The API (/v1) and its documentation (<a href="/docs">/docs</a>) work as usual.</p>
</body></html>
`;

/**
 * Registers the web app's files from `dir` (when it has an index.html) and returns the fallback the
 * service's not-found handler calls first: true when it answered the request.
 */
export async function registerWeb(app: FastifyInstance, dir: string = DEFAULT_WEB_DIR): Promise<(req: FastifyRequest, reply: FastifyReply) => boolean> {
  const built = existsSync(join(dir, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      wildcard: false,
      cacheControl: false,
      setHeaders: (res, path) => {
        res.setHeader('cache-control', /[\\/]assets[\\/]/.test(path) ? YEAR : 'no-cache');
      },
    });
  }
  return (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    // Only `/` is the app's (with its query: the calculator's shareable link); every other unknown path is a 404.
    if ((req.url.split('?')[0] ?? '/') !== '/') return false;
    if (!built) {
      void reply.code(200).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(NOT_BUILT);
      return true;
    }
    void reply.code(200).header('cache-control', 'no-cache').sendFile('index.html');
    return true;
  };
}
