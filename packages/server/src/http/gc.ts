import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errors } from './schemas.js';
import type { Services } from './services.js';

const Report = Type.Object({
  versionsExpired: Type.Integer(),
  blobsUnlinked: Type.Integer(),
  bytesUnlinked: Type.Integer(),
  packsDropped: Type.Integer(),
  packsRepacked: Type.Integer(),
  orphansFound: Type.Integer(),
  objectsDeleted: Type.Integer(),
  durationMs: Type.Integer(),
});

export function gcRoutes(app: FastifyInstance, s: Services): void {
  app.post<{ Body: { graceMs?: number; repackBelow?: number } | undefined }>(
    '/gc',
    {
      schema: {
        summary:
          'Collect garbage now: unlink unreferenced blobs, repack sparse packs, delete bytes retired longer than the grace period',
        body: Type.Optional(
          Type.Object({
            graceMs: Type.Optional(Type.Integer({ minimum: 0 })),
            repackBelow: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          }),
        ),
        response: { 200: Report, ...errors },
      },
    },
    async (req) => s.gc.run(req.body ?? {}),
  );
}
