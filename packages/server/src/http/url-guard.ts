import { CairnError } from '@cairn/core';
import type { FastifyInstance } from 'fastify';

/**
 * No id, name, ref or path Cairn stores can hold NUL, and PostgreSQL text cannot hold it at all:
 * a `%00` in a path or query parameter reached the SQL driver and came back as a 500. Refusing it
 * before routing names the problem once for every route.
 */
export function registerUrlGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (/%00|\u0000/i.test(request.url)) {
      throw new CairnError(
        'VALIDATION',
        'the URL holds a NUL character (%00); no name or id may contain one',
        {
          rule: 'url.nul',
        },
      );
    }
  });
}
