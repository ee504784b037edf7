import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The UI's files are public (they hold no data; every API call they make needs the key when the
 * server has one), so they load before the user has typed a key. The page may only talk to this
 * server and run its own scripts.
 */
const PAGE_POLICY =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Cairn</title>
<p>The Cairn web UI is not built. Run <code>npm run build -w @cairn/web</code> (or <code>npm start</code>,
which builds it) and reload. The REST API is at <a href="/api/v1/openapi.json">/api/v1</a>.</p>`;

/** Serves the built web UI at `/` (index.html) and its assets beside it. */
export async function uiRoutes(app: FastifyInstance, uiDir: string): Promise<void> {
  if (!existsSync(join(uiDir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').send(NOT_BUILT),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: uiDir,
    prefix: '/',
    // One route per file found now, not a catch-all: unknown paths stay Cairn's 404.
    wildcard: false,
    index: 'index.html',
    schemaHide: true,
    setHeaders: (res) => {
      res.setHeader('content-security-policy', PAGE_POLICY);
      res.setHeader('x-content-type-options', 'nosniff');
    },
  });
}
