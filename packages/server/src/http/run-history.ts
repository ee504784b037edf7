import { Type } from '@sinclair/typebox';
import type { RunLogRequest } from '@cairn/core';
import type { FastifyInstance } from 'fastify';
import type { RunHistoryService } from '../service/run-history.js';
import { errors } from './schemas.js';

const Id = Type.Object({ id: Type.String() });
const Row = Type.Object({
  step: Type.Integer(),
  data: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String(),
});

export function runHistoryRoutes(app: FastifyInstance, history: RunHistoryService): void {
  app.post<{ Params: { id: string }; Body: RunLogRequest }>(
    '/runs/:id/history',
    {
      schema: {
        summary: "Log one row of metrics at a step (W&B run.log); the run's step moves past it",
        params: Id,
        body: Type.Object({ step: Type.Optional(Type.Unknown()), data: Type.Unknown() }),
        response: {
          200: Type.Object({ step: Type.Integer(), nextStep: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (req) => history.log(req.params.id, req.body),
  );

  app.get<{ Params: { id: string }; Querystring: { cursor?: string; limit?: string } }>(
    '/runs/:id/history',
    {
      schema: {
        summary: "The run's history rows, oldest step first",
        params: Id,
        querystring: Type.Object({
          cursor: Type.Optional(Type.String()),
          limit: Type.Optional(Type.String()),
        }),
        response: {
          200: Type.Object({ items: Type.Array(Row), nextCursor: Type.Optional(Type.String()) }),
          ...errors,
        },
      },
    },
    async (req) => history.history(req.params.id, req.query.cursor, req.query.limit),
  );
}
