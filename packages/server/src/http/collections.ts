import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Nullable, CollectionInfo, errors, page } from './schemas.js';
import type { Services } from './services.js';

const Query = Type.Object({
  entity: Type.String(),
  project: Type.String(),
  type: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer()),
  cursor: Type.Optional(Type.String()),
});

export function collectionRoutes(app: FastifyInstance, s: Services): void {
  app.get<{
    Querystring: {
      entity: string;
      project: string;
      type?: string;
      limit?: number;
      cursor?: string;
    };
  }>(
    '/collections',
    {
      schema: {
        summary: 'Artifacts (collections) of a project, by name, paginated',
        querystring: Query,
        response: { 200: page(CollectionInfo), ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      return s.versions.collections(q.entity, q.project, q.type, q.limit, q.cursor);
    },
  );
}

export function projectRoutes(app: FastifyInstance, s: Services): void {
  const Body = Type.Object({
    entity: Type.String(),
    project: Type.String(),
    ttlMs: Nullable(Type.Integer()),
  });
  app.put<{ Body: { entity: string; project: string; ttlMs: number | null } }>(
    '/projects/ttl',
    {
      schema: {
        summary: "Set a project's default time to live for versions that inherit theirs",
        body: Body,
        response: { 200: Body, ...errors },
      },
    },
    async (req) => s.versions.setProjectTtl(req.body.entity, req.body.project, req.body.ttlMs),
  );
}
