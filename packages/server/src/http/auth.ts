import { timingSafeEqual } from 'node:crypto';
import { CairnError, API_PREFIX } from '@cairn/core';
import type { FastifyInstance } from 'fastify';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** With an API key configured, every API route but health wants `Authorization: Bearer <key>`. */
export function registerAuth(app: FastifyInstance, apiKey: string | undefined): void {
  if (!apiKey) return;
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (path === `${API_PREFIX}/health`) return;
    if (path !== '/' && !path.startsWith(`${API_PREFIX}/`)) return;
    const header = request.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m?.[1]) {
      throw new CairnError(
        'UNAUTHORIZED',
        'this server requires an API key: send Authorization: Bearer <key> (CAIRN_API_KEY)',
      );
    }
    if (!same(m[1].trim(), apiKey)) throw new CairnError('UNAUTHORIZED', 'the API key is wrong');
  });
}
