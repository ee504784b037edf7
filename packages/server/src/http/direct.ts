import { Type } from '@sinclair/typebox';
import type {
  DirectUploadComplete as CompleteBody,
  DirectUploadRequest as TargetsBody,
} from '@cairn/core';
import type { FastifyInstance } from 'fastify';
import type { DirectService } from '../service/direct-service.js';
import { BlobInfo, errors } from './schemas.js';

const Id = Type.Object({ id: Type.String() });
const Target = Type.Object({ id: Type.String(), url: Type.String() });

/** Presigned transfers (wire.ts, "Direct transfer"); the server signs and verifies only. */
export function directRoutes(app: FastifyInstance, direct: DirectService): void {
  app.get(
    '/direct',
    {
      schema: {
        summary: 'Whether clients move blob bytes to and from the object store themselves',
        response: {
          200: Type.Object({ enabled: Type.Boolean(), maxObjectBytes: Type.Integer() }),
        },
      },
    },
    async () => direct.info(),
  );

  app.post<{ Params: { id: string }; Body: TargetsBody }>(
    '/direct/uploads/:id/targets',
    {
      schema: {
        summary: 'Presigned PUT URLs for the packs and large blobs of an upload',
        params: Id,
        body: Type.Object({
          packs: Type.Integer({ minimum: 0 }),
          blobs: Type.Array(Type.Object({ sha256: Type.String(), size: Type.Integer() })),
        }),
        response: {
          200: Type.Object({
            expiresAt: Type.String(),
            packs: Type.Array(Target),
            blobs: Type.Array(
              Type.Object({ id: Type.String(), url: Type.String(), sha256: Type.String() }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => direct.targets(req.params.id, req.body),
  );

  app.post<{ Params: { id: string }; Body: CompleteBody }>(
    '/direct/uploads/:id/complete',
    {
      schema: {
        summary: 'Verify uploaded objects (sizes and SHA-256s) and index their blobs',
        params: Id,
        body: Type.Object({
          packs: Type.Optional(Type.Array(Type.String())),
          blobs: Type.Optional(
            Type.Array(Type.Object({ id: Type.String(), sha256: Type.String() })),
          ),
        }),
        response: { 200: Type.Object({ stored: Type.Array(BlobInfo) }), ...errors },
      },
    },
    async (req) => ({ stored: await direct.complete(req.params.id, req.body) }),
  );

  app.post<{ Body: { sha256: string[] } }>(
    '/direct/blobs/locate',
    {
      schema: {
        summary: 'Presigned GET URLs and byte ranges of stored blobs',
        body: Type.Object({ sha256: Type.Array(Type.String()) }),
        response: {
          200: Type.Object({
            expiresAt: Type.String(),
            items: Type.Array(
              Type.Object({
                sha256: Type.String(),
                size: Type.Integer(),
                url: Type.String(),
                offset: Type.Integer(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => direct.locate(req.body.sha256),
  );
}
