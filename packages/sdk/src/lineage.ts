import type {
  LineageDirection,
  LineageEdge,
  LineageGraph,
  RunCreate,
  RunInfo,
  RunUpdate,
  RunsDirection,
  VersionInfo,
} from '@cairn/core';
import type { ClientContext } from './context.js';

/** Anything that records the versions it logs: a `Run`. */
export interface OutputRecorder {
  /** Records the output; true when the recorder has logged history (a historyStep to show). */
  recordOutput(versionId: string): Promise<boolean>;
}

export interface LineageOptions {
  /** Default `both`. */
  direction?: LineageDirection;
  /** Edges from the root; default 10, at most 100. */
  depth?: number;
  /**
   * Most nodes returned (the nearest first); default 1,000, at most 5,000. A graph with more
   * within the depth comes back with `truncated: true`.
   */
  limit?: number;
}

// W&B keeps one run per process (`wandb.run`); so does Cairn: `cairn.init()` sets it and
// `run.finish()` clears it, and `artifact.save()` logs through it while it is set.
let active: OutputRecorder | undefined;

export function activeRun(): OutputRecorder | undefined {
  return active;
}

export function setActiveRun(run: OutputRecorder | undefined): void {
  active = run;
}

export function clearActiveRun(run: OutputRecorder): void {
  if (active === run) active = undefined;
}

export function createRun(ctx: ClientContext, body: RunCreate): Promise<RunInfo> {
  return ctx.http.json<RunInfo>('POST', '/runs', { json: body });
}

export function updateRun(ctx: ClientContext, id: string, body: RunUpdate): Promise<RunInfo> {
  return ctx.http.json<RunInfo>('PATCH', `/runs/${id}`, { json: body });
}

export function getRun(ctx: ClientContext, id: string): Promise<RunInfo> {
  return ctx.http.json<RunInfo>('GET', `/runs/${id}`);
}

export function linkRun(
  ctx: ClientContext,
  runId: string,
  role: 'inputs' | 'outputs',
  versionId: string,
): Promise<LineageEdge> {
  return ctx.http.json<LineageEdge>('POST', `/runs/${runId}/${role}`, { json: { versionId } });
}

export async function versionRuns(
  ctx: ClientContext,
  versionId: string,
  direction: RunsDirection,
): Promise<RunInfo[]> {
  const page = await ctx.http.json<{ items: RunInfo[] }>('GET', `/versions/${versionId}/runs`, {
    query: { direction },
  });
  return page.items;
}

export function fetchLineage(
  ctx: ClientContext,
  ref: string,
  options: LineageOptions = {},
): Promise<LineageGraph> {
  return ctx.http.json<LineageGraph>('GET', '/lineage', {
    query: { ref, direction: options.direction, depth: options.depth, limit: options.limit },
  });
}

/**
 * After `artifact.save()` logged a version: the given run, else the active run, records it as
 * an output; with neither, a new version gets an automatic run (job type `auto`) that logs it
 * and finishes, as W&B's `save()` does outside a run. Unchanged content (no new version) made
 * outside a run records nothing: its first logger stays its producer. True when the version may
 * now have a historyStep its VersionInfo does not show yet.
 */
export async function recordLogged(
  ctx: ClientContext,
  version: VersionInfo,
  created: boolean,
  run?: OutputRecorder,
): Promise<boolean> {
  const recorder = run ?? active;
  if (recorder) return recorder.recordOutput(version.id);
  if (!created) return false;
  // One request, one transaction: a client that dies here leaves no run behind that would
  // later be reported crashed, and a log pays one round trip and one commit for its run.
  await createRun(ctx, {
    entity: version.entity,
    project: version.project,
    jobType: 'auto',
    outputs: [version.id],
    finish: { exitCode: 0 },
  });
  return false;
}
