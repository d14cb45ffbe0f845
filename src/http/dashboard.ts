/**
 * The dashboard (web/, built into web/dist by `npm ci`) served at `/`. The API keeps /v1, /docs and
 * /openapi.*; everything else that matches a built file is served from web/dist. When the build is
 * missing (a checkout installed with --ignore-scripts), `/` says how to build it instead of a 404.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

export const DASHBOARD_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

export function dashboardRouter(dir = DASHBOARD_DIR): Router {
  const router = express.Router();
  if (!existsSync(path.join(dir, 'index.html'))) {
    router.get('/', (_req, res) => {
      res
        .type('text/plain')
        .send(
          'The dashboard is not built: run `npm ci` (or `npm run build:web`). The API is under /v1, its docs at /docs.\n',
        );
    });
    return router;
  }
  // Hashed file names under /assets never change: cache them for a year; index.html is revalidated.
  router.use(
    '/assets',
    express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false, index: false }),
  );
  router.use(express.static(dir, { index: 'index.html', maxAge: 0 }));
  return router;
}
