import { timingSafeEqual } from 'node:crypto';
import { CairnError, API_PREFIX } from '@cairn/core';
import type { FastifyInstance } from 'fastify';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function isRead(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** Routes anyone may call: liveness only. */
const OPEN_ROUTES = new Set([`${API_PREFIX}/health`]);

/**
 * With an API key configured, every API route but health wants `Authorization: Bearer <key>`. The
 * check looks at the route the router matched, not at the raw URL, so an encoded path such as
 * `/%61pi/v1/...` cannot slip past it; requests that match no route need the key too.
 */
export function registerAuth(
  app: FastifyInstance,
  apiKey: string | undefined,
  accessKeys: ReadonlyMap<string, string> = new Map(),
): void {
  const tokens = [...(apiKey ? [apiKey] : []), ...accessKeys.values()];
  if (tokens.length === 0) return;
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route !== undefined && OPEN_ROUTES.has(route)) return;
    // The web UI's static files (matched routes outside the API): they hold no data.
    if (route !== undefined && !route.startsWith(API_PREFIX) && isRead(request.method)) return;
    // The SageMaker face verifies AWS SigV4 signatures itself (sagemaker/sigv4.ts).
    if (route === '/' && request.method === 'POST') return;
    const header = request.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m?.[1]) {
      throw new CairnError(
        'UNAUTHORIZED',
        'this server requires an API key: send Authorization: Bearer <key> (CAIRN_API_KEY)',
      );
    }
    const token = m[1].trim();
    if (!tokens.some((t) => same(token, t))) {
      throw new CairnError('UNAUTHORIZED', 'the API key is wrong');
    }
  });
}
