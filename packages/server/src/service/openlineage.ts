import type {
  LineageArtifact,
  OpenLineageDataset,
  OpenLineageRunEvent,
  RunInfo,
} from '@cairn/core';

export const OPENLINEAGE_SCHEMA_URL =
  'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/**
 * A run id (32 hex digits) as an RFC 4122 version-4 UUID: OpenLineage requires a UUID and the
 * same run must always get the same one, so the version and variant bits are set in place.
 */
export function runUuid(id: string): string {
  const h = id.toLowerCase();
  const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function namespaceOf(entity: string, project: string): string {
  return `cairn://${entity}/${project}`;
}

function dataset(a: LineageArtifact): OpenLineageDataset {
  return { namespace: namespaceOf(a.entity, a.project), name: `${a.collection}:v${a.index}` };
}

/**
 * OpenLineage run events of one run: START with its inputs, then (once it ended) COMPLETE for a
 * finished run or FAIL for a failed or crashed one, with inputs and outputs. Jobs are named by
 * the run's job type (runs of one job type are runs of one job), else by the run name.
 */
export function openLineageEvents(
  run: RunInfo,
  inputs: LineageArtifact[],
  outputs: LineageArtifact[],
  producer: string,
): OpenLineageRunEvent[] {
  const base = {
    run: { runId: runUuid(run.id) },
    job: { namespace: namespaceOf(run.entity, run.project), name: run.jobType ?? run.name },
    producer,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
  };
  const events: OpenLineageRunEvent[] = [
    {
      eventType: 'START',
      eventTime: run.createdAt,
      ...base,
      inputs: inputs.map(dataset),
      outputs: [],
    },
  ];
  if (run.state !== 'running') {
    events.push({
      eventType: run.state === 'finished' ? 'COMPLETE' : 'FAIL',
      eventTime: run.finishedAt ?? run.heartbeatAt,
      ...base,
      inputs: inputs.map(dataset),
      outputs: outputs.map(dataset),
    });
  }
  return events;
}
