import { Type } from '@sinclair/typebox';
import { Nullable } from './schemas.js';

/** Route schemas of runs and lineage (shapes only; rules live in the services). */
export const RunInfo = Type.Object({
  id: Type.String(),
  arn: Type.String(),
  entity: Type.String(),
  project: Type.String(),
  name: Type.String(),
  jobType: Nullable(Type.String()),
  config: Type.Record(Type.String(), Type.Unknown()),
  state: Type.String(),
  exitCode: Nullable(Type.Integer()),
  step: Type.Integer(),
  heartbeatAt: Type.String(),
  createdAt: Type.String(),
  finishedAt: Nullable(Type.String()),
});

export const RunCreate = Type.Object({
  entity: Type.String(),
  project: Type.String(),
  name: Type.Optional(Nullable(Type.String())),
  jobType: Type.Optional(Nullable(Type.String())),
  config: Type.Optional(Type.Unknown()),
  inputs: Type.Optional(
    Type.Unknown({ description: 'version ids the run used, recorded with it (at most 1000)' }),
  ),
  outputs: Type.Optional(
    Type.Unknown({ description: 'version ids the run logged, recorded with it (at most 1000)' }),
  ),
  finish: Type.Optional(
    Type.Object(
      { exitCode: Type.Unknown() },
      { description: 'ends the run at once: exit code 0 finished, else failed' },
    ),
  ),
});

export const RunUpdate = Type.Object({
  heartbeat: Type.Optional(Type.Boolean()),
  step: Type.Optional(Type.Unknown()),
  finish: Type.Optional(Type.Object({ exitCode: Type.Unknown() })),
});

export const RunArtifactLink = Type.Object({ versionId: Type.String() });

export const LineageEdge = Type.Object({
  source: Type.String(),
  dest: Type.String(),
  type: Type.String(),
  createdAt: Type.String(),
});

const LineageArtifact = Type.Object({
  id: Type.String(),
  entity: Type.String(),
  project: Type.String(),
  collection: Type.String(),
  type: Type.String(),
  index: Type.Integer(),
  digest: Type.String(),
  state: Type.String(),
  ref: Type.String(),
});

export const LineageGraph = Type.Object({
  root: Type.String(),
  direction: Type.String(),
  depth: Type.Integer(),
  limit: Type.Integer(),
  truncated: Type.Boolean(),
  nodes: Type.Array(
    Type.Object({
      arn: Type.String(),
      kind: Type.String(),
      id: Type.String(),
      depth: Type.Integer(),
      label: Type.String(),
      artifact: Type.Optional(LineageArtifact),
      run: Type.Optional(RunInfo),
    }),
  ),
  edges: Type.Array(LineageEdge),
});

const Dataset = Type.Object({ namespace: Type.String(), name: Type.String() });

export const OpenLineageEvents = Type.Object({
  events: Type.Array(
    Type.Object({
      eventType: Type.String(),
      eventTime: Type.String(),
      run: Type.Object({ runId: Type.String() }),
      job: Type.Object({ namespace: Type.String(), name: Type.String() }),
      inputs: Type.Array(Dataset),
      outputs: Type.Array(Dataset),
      producer: Type.String(),
      schemaURL: Type.String(),
    }),
  ),
});
