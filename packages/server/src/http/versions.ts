import { Type } from '@sinclair/typebox';
import type { VersionUpdate as VersionUpdateBody } from '@cairn/core';
import type { FastifyInstance } from 'fastify';
import { sendBlob } from './download.js';
import { Entry, VersionInfo, VersionUpdate, errors, page } from './schemas.js';
import type { Services } from './services.js';

const Id = Type.Object({ id: Type.String() });

export function versionRoutes(app: FastifyInstance, s: Services): void {
  app.get<{
    Querystring: {
      entity: string;
      project: string;
      collection: string;
      limit?: number;
      cursor?: string;
    };
  }>(
    '/versions',
    {
      schema: {
        summary: 'Versions of one artifact, oldest first, paginated',
        querystring: Type.Object({
          entity: Type.String(),
          project: Type.String(),
          collection: Type.String(),
          limit: Type.Optional(Type.Integer()),
          cursor: Type.Optional(Type.String()),
        }),
        response: { 200: page(VersionInfo), ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      return s.versions.list(q.entity, q.project, q.collection, q.limit, q.cursor);
    },
  );

  app.get<{ Querystring: { ref: string } }>(
    '/versions/resolve',
    {
      schema: {
        summary: 'A version by entity/project/name[:alias|:vN|@digest] or by id',
        querystring: Type.Object({ ref: Type.String() }),
        response: { 200: VersionInfo, ...errors },
      },
    },
    async (req) => s.versions.resolve(req.query.ref),
  );

  app.get<{ Params: { id: string } }>(
    '/versions/:id',
    {
      schema: { summary: 'A version by id', params: Id, response: { 200: VersionInfo, ...errors } },
    },
    async (req) => s.versions.get(req.params.id),
  );

  app.patch<{ Params: { id: string }; Body: VersionUpdateBody }>(
    '/versions/:id',
    {
      schema: {
        summary: 'Update description, metadata, aliases or tags of a committed version',
        params: Id,
        body: VersionUpdate,
        response: { 200: VersionInfo, ...errors },
      },
    },
    async (req) => s.versions.update(req.params.id, req.body),
  );

  app.delete<{ Params: { id: string }; Querystring: { deleteAliases?: boolean } }>(
    '/versions/:id',
    {
      schema: {
        summary: 'Delete a version (refused while it has aliases unless deleteAliases=true)',
        params: Id,
        querystring: Type.Object({ deleteAliases: Type.Optional(Type.Boolean()) }),
        response: { 200: Type.Object({ deleted: Type.Literal(true) }), ...errors },
      },
    },
    async (req) => {
      await s.versions.delete(req.params.id, req.query.deleteAliases === true);
      return { deleted: true as const };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/versions/:id/manifest',
    {
      schema: {
        summary: 'The whole manifest of a version',
        params: Id,
        response: {
          200: Type.Object({ version: Type.Literal(1), entries: Type.Array(Entry) }),
          ...errors,
        },
      },
    },
    async (req) => ({ version: 1 as const, entries: await s.versions.manifest(req.params.id) }),
  );

  app.get<{
    Params: { id: string };
    Querystring: { names?: string; limit?: number; cursor?: string };
  }>(
    '/versions/:id/files',
    {
      schema: {
        summary: 'Manifest entries of a version, by path, paginated (or only the named ones)',
        params: Id,
        querystring: Type.Object({
          names: Type.Optional(Type.String({ description: 'comma-separated entry paths' })),
          limit: Type.Optional(Type.Integer()),
          cursor: Type.Optional(Type.String()),
        }),
        response: { 200: page(Entry), ...errors },
      },
    },
    async (req) => {
      const names = req.query.names === undefined ? undefined : req.query.names.split(',');
      return s.versions.files(req.params.id, names, req.query.limit, req.query.cursor);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { path: string } }>(
    '/versions/:id/file',
    {
      schema: {
        summary: 'Bytes of one entry; HTTP Range supported',
        params: Id,
        querystring: Type.Object({ path: Type.String() }),
      },
    },
    async (req, reply) => {
      const entry = await s.versions.entry(req.params.id, req.query.path);
      if (entry.sha256 === undefined) {
        return reply.status(404).send({
          error: {
            code: 'NOT_FOUND',
            message: `${entry.path} is a reference to ${entry.ref ?? 'elsewhere'}; its bytes are not stored here`,
            details: { ref: entry.ref },
          },
        });
      }
      return sendBlob(reply, s.blobs, await s.blobs.blobInfo(entry.sha256), req.headers.range);
    },
  );
}
