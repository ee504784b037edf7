import { Type } from '@sinclair/typebox';
import type {
  RunArtifactLink as RunArtifactLinkBody,
  RunCreate as RunCreateBody,
  RunUpdate as RunUpdateBody,
} from '@cairn/core';
import type { FastifyInstance } from 'fastify';
import type { LineageService } from '../service/lineage-service.js';
import type { RunHistoryService } from '../service/run-history.js';
import type { RunService } from '../service/run-service.js';
import { runHistoryRoutes } from './run-history.js';
import {
  LineageEdge,
  OpenLineageEvents,
  RunArtifactLink,
  RunCreate,
  RunInfo,
  RunUpdate,
} from './lineage-schemas.js';
import { errors } from './schemas.js';

export interface LineageServices {
  runs: RunService;
  lineage: LineageService;
  history: RunHistoryService;
}

const Id = Type.Object({ id: Type.String() });

export function runRoutes(app: FastifyInstance, s: LineageServices): void {
  app.post<{ Body: RunCreateBody }>(
    '/runs',
    {
      schema: {
        summary: 'Start a run (state running)',
        body: RunCreate,
        response: { 200: RunInfo, ...errors },
      },
    },
    async (req) => s.runs.create(req.body),
  );

  app.get<{ Params: { id: string } }>(
    '/runs/:id',
    { schema: { summary: 'A run by id', params: Id, response: { 200: RunInfo, ...errors } } },
    async (req) => s.runs.get(req.params.id),
  );

  app.patch<{ Params: { id: string }; Body: RunUpdateBody }>(
    '/runs/:id',
    {
      schema: {
        summary: 'Heartbeat, set the step, or finish a run (exit code 0: finished, else failed)',
        params: Id,
        body: RunUpdate,
        response: { 200: RunInfo, ...errors },
      },
    },
    async (req) => s.runs.update(req.params.id, req.body),
  );

  for (const role of ['input', 'output'] as const) {
    app.post<{ Params: { id: string }; Body: RunArtifactLinkBody }>(
      `/runs/:id/${role}s`,
      {
        schema: {
          summary:
            role === 'input'
              ? 'Record that the run used a version (version ContributedTo run)'
              : 'Record that the run logged a version (run Produced version)',
          params: Id,
          body: RunArtifactLink,
          response: { 200: LineageEdge, ...errors },
        },
      },
      async (req) => s.runs.link(req.params.id, req.body.versionId, role),
    );
  }

  app.get<{ Params: { id: string } }>(
    '/runs/:id/openlineage',
    {
      schema: {
        summary: 'The run as OpenLineage run events (START, then COMPLETE or FAIL)',
        params: Id,
        response: { 200: OpenLineageEvents, ...errors },
      },
    },
    async (req) => s.lineage.openLineage(req.params.id),
  );

  app.get<{ Params: { id: string }; Querystring: { direction: 'producer' | 'consumers' } }>(
    '/versions/:id/runs',
    {
      schema: {
        summary: 'Runs that logged (producer) or used (consumers) a version',
        params: Id,
        querystring: Type.Object({
          direction: Type.Union([Type.Literal('producer'), Type.Literal('consumers')]),
        }),
        response: { 200: Type.Object({ items: Type.Array(RunInfo) }), ...errors },
      },
    },
    async (req) => ({ items: await s.runs.runsOfVersion(req.params.id, req.query.direction) }),
  );

  runHistoryRoutes(app, s.history);
}
