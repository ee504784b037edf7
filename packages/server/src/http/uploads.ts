import { Type } from '@sinclair/typebox';
import type { CommitRequest as CommitBody, UploadStart as StartBody } from '@cairn/core';
import type { FastifyInstance } from 'fastify';
import { CommitRequest, UploadSession, UploadStart, VersionInfo, errors } from './schemas.js';
import type { Services } from './services.js';

export function uploadRoutes(app: FastifyInstance, s: Services): void {
  app.post<{ Body: StartBody }>(
    '/uploads',
    {
      schema: {
        summary: 'Start an upload: pins the hashes and answers which blobs to send',
        body: UploadStart,
        response: { 200: UploadSession, ...errors },
      },
    },
    async (req) => s.uploads.start(req.body),
  );

  app.post<{ Params: { id: string }; Body: CommitBody }>(
    '/uploads/:id/commit',
    {
      schema: {
        summary: 'Commit the manifest as the next version (or find it equal to latest)',
        params: Type.Object({ id: Type.String() }),
        body: CommitRequest,
        response: {
          200: Type.Object({ version: VersionInfo, created: Type.Boolean() }),
          ...errors,
        },
      },
    },
    async (req) => s.uploads.commit(req.params.id, req.body),
  );

  app.delete<{ Params: { id: string } }>(
    '/uploads/:id',
    {
      schema: {
        summary: 'Abandon an upload',
        params: Type.Object({ id: Type.String() }),
        response: { 200: Type.Object({ aborted: Type.Literal(true) }), ...errors },
      },
    },
    async (req) => {
      await s.uploads.abort(req.params.id);
      return { aborted: true as const };
    },
  );
}
