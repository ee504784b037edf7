import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { LineageGraph } from './lineage-schemas.js';
import type { LineageServices } from './runs.js';
import { errors } from './schemas.js';

export function lineageRoutes(app: FastifyInstance, s: LineageServices): void {
  app.get<{ Querystring: { ref: string; direction?: string; depth?: string; limit?: string } }>(
    '/lineage',
    {
      schema: {
        summary: 'Nodes and edges within depth of a version, run or ARN (one recursive query)',
        querystring: Type.Object({
          ref: Type.String(),
          direction: Type.Optional(Type.String({ description: 'upstream, downstream or both' })),
          depth: Type.Optional(Type.String({ description: 'edges from the root, 0 to 100' })),
          limit: Type.Optional(
            Type.String({ description: 'most nodes returned, 1 to 5000 (default 1000)' }),
          ),
        }),
        response: { 200: LineageGraph, ...errors },
      },
    },
    async (req) =>
      s.lineage.graph(req.query.ref, req.query.direction, req.query.depth, req.query.limit),
  );
}
