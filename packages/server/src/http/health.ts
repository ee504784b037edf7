import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { HealthBody } from '@cairn/core';

export const SERVER_VERSION = '0.1.0';

export function healthRoutes(app: FastifyInstance): void {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness; needs no API key',
        response: { 200: Type.Object({ ok: Type.Literal(true), version: Type.String() }) },
      },
    },
    async (): Promise<HealthBody> => ({ ok: true, version: SERVER_VERSION }),
  );
}
