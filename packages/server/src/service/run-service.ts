import {
  ConflictError,
  LINEAGE_EDGE_CONTRIBUTED_TO,
  LINEAGE_EDGE_PRODUCED,
  NotFoundError,
  ValidationError,
  isId,
  newId,
  validateMetadata,
  validateName,
  validateProjectPath,
  type LineageEdge,
  type RunCreate,
  type RunInfo,
  type RunUpdate,
  type RunsDirection,
} from '@cairn/core';
import type { EdgeRecord, LineageStore, RunPatch, RunRecord } from '../store/meta/lineage-store.js';
import type { NodeArns } from './run-arns.js';

export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5 * 60 * 1000;
const MAX_RUN_NAME = 128;
/** Versions one POST /runs may name as inputs or outputs; more are linked one request each. */
export const MAX_RUN_CREATE_LINKS = 1000;

export interface RunServiceOptions {
  arns: NodeArns;
  /** A running run with no heartbeat for this long is crashed. */
  heartbeatTimeoutMs: number;
  now?: () => Date;
}

function validateRunName(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RUN_NAME) {
    throw new ValidationError(`run name must be a string of 1 to ${MAX_RUN_NAME} characters`, {
      rule: 'run.name',
    });
  }
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new ValidationError('run name must not contain control characters', {
      rule: 'run.name',
    });
  }
  return value;
}

function validateStep(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`step must be a non-negative integer, got ${JSON.stringify(value)}`, {
      rule: 'run.step',
    });
  }
  return value;
}

function validateExitCode(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 2 ** 31) {
    throw new ValidationError(`exitCode must be an integer, got ${JSON.stringify(value)}`, {
      rule: 'run.exitCode',
    });
  }
  return value;
}

/** The distinct version ids of a run body's `inputs` or `outputs` (absent: none). */
function validateVersionIds(value: unknown, field: 'inputs' | 'outputs'): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_RUN_CREATE_LINKS) {
    throw new ValidationError(
      `${field} must be a list of at most ${MAX_RUN_CREATE_LINKS} version ids`,
      { rule: `run.${field}` },
    );
  }
  for (const id of value) {
    if (!isId(id)) {
      throw new ValidationError(
        `${field} must hold version ids (32 hex digits), got ${JSON.stringify(id)}`,
        { rule: `run.${field}` },
      );
    }
  }
  return [...new Set(value as string[])];
}

/** Runs: their lifecycle, crash detection by heartbeat, and their edges to artifact versions. */
export class RunService {
  private readonly now: () => Date;

  constructor(
    private readonly store: LineageStore,
    private readonly o: RunServiceOptions,
  ) {
    this.now = o.now ?? (() => new Date());
  }

  info(r: RunRecord): RunInfo {
    return { ...r, arn: this.o.arns.run(r.id) };
  }

  /** Reports (and stores) `crashed` for running runs whose heartbeat is older than the timeout. */
  async withCrashes(runs: RunRecord[]): Promise<RunRecord[]> {
    const cutoff = new Date(this.now().getTime() - this.o.heartbeatTimeoutMs).toISOString();
    const stale = runs.filter((r) => r.state === 'running' && r.heartbeatAt < cutoff);
    if (stale.length === 0) return runs;
    await this.store.markCrashed(
      cutoff,
      stale.map((r) => r.id),
    );
    const ids = new Set(stale.map((r) => r.id));
    return runs.map((r) =>
      ids.has(r.id) ? { ...r, state: 'crashed' as const, finishedAt: r.heartbeatAt } : r,
    );
  }

  /** Marks every stale running run crashed; for a periodic sweep. */
  async sweepCrashed(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - this.o.heartbeatTimeoutMs).toISOString();
    return this.store.markCrashed(cutoff);
  }

  async records(ids: string[]): Promise<RunRecord[]> {
    return this.withCrashes(await this.store.getRuns(ids));
  }

  private async record(id: string): Promise<RunRecord> {
    const r = isId(id) ? await this.store.getRun(id) : undefined;
    if (!r) throw new NotFoundError(`run ${id} does not exist`, { id });
    const [checked] = await this.withCrashes([r]);
    return checked ?? r;
  }

  /**
   * Starts a run; with `inputs`, `outputs` or `finish` it is stored with its edges and its end
   * in one transaction, so no half-recorded run is ever visible.
   */
  async create(body: RunCreate): Promise<RunInfo> {
    if (typeof body !== 'object' || body === null) {
      throw new ValidationError('run body must be a JSON object');
    }
    const entity = validateName(body.entity, 'entity name');
    const project = validateProjectPath(
      typeof body.project === 'string' ? body.project : String(body.project),
    );
    const inputs = validateVersionIds(body.inputs, 'inputs');
    const outputs = validateVersionIds(body.outputs, 'outputs');
    const exitCode = body.finish === undefined ? undefined : validateExitCode(body.finish.exitCode);
    const id = newId();
    const at = this.now().toISOString();
    const run: RunRecord = {
      id,
      entity,
      project,
      name: validateRunName(body.name) ?? `run-${id.slice(0, 8)}`,
      jobType:
        body.jobType === undefined || body.jobType === null
          ? null
          : validateName(body.jobType, 'job type'),
      config: { ...validateMetadata(body.config) },
      state: exitCode === undefined ? 'running' : exitCode === 0 ? 'finished' : 'failed',
      exitCode: exitCode ?? null,
      step: 0,
      heartbeatAt: at,
      createdAt: at,
      finishedAt: exitCode === undefined ? null : at,
    };
    for (const v of inputs) await this.assertLive(v, id, 'input');
    for (const v of outputs) await this.assertLive(v, id, 'output');
    // A new run has no history yet: its outputs get no historyStep, as a link would give none.
    const runArn = this.o.arns.run(id);
    await this.store.insertRun(run, [
      ...inputs.map((v) => this.edge(runArn, v, 'input', at)),
      ...outputs.map((v) => this.edge(runArn, v, 'output', at)),
    ]);
    return this.info(run);
  }

  async get(id: string): Promise<RunInfo> {
    return this.info(await this.record(id));
  }

  async update(id: string, body: RunUpdate): Promise<RunInfo> {
    if (typeof body !== 'object' || body === null) {
      throw new ValidationError('run update must be a JSON object');
    }
    const step = body.step === undefined ? undefined : validateStep(body.step);
    const exitCode = body.finish === undefined ? undefined : validateExitCode(body.finish.exitCode);
    const run = await this.record(id);
    this.assertNotEnded(run, 'updated');
    if (step !== undefined && step < run.step) {
      throw new ValidationError(`step ${step} is before the run's current step ${run.step}`, {
        rule: 'run.step',
        step: run.step,
      });
    }
    const at = this.now().toISOString();
    // Any update proves the client is alive; a run marked crashed runs again.
    const patch: RunPatch = { heartbeatAt: at };
    if (run.state === 'crashed') Object.assign(patch, { state: 'running', finishedAt: null });
    if (step !== undefined) patch.step = step;
    if (exitCode !== undefined) {
      Object.assign(patch, {
        state: exitCode === 0 ? 'finished' : 'failed',
        exitCode,
        finishedAt: at,
      });
    }
    await this.store.updateRun(id, patch);
    return this.info({ ...run, ...patch });
  }

  /** A run that may still change (not finished or failed), as stored; NOT_FOUND otherwise. */
  async openRecord(id: string, what: string): Promise<RunRecord> {
    const run = await this.record(id);
    this.assertNotEnded(run, what);
    return run;
  }

  /** Throws NOT_FOUND unless the run exists. */
  async assertExists(id: string): Promise<void> {
    await this.record(id);
  }

  private assertNotEnded(run: RunRecord, what: string): void {
    if (run.state === 'finished' || run.state === 'failed') {
      throw new ConflictError(
        `run ${run.id} is ${run.state} (exit code ${run.exitCode ?? 'none'}); an ended run cannot be ${what}. Start a new run`,
        { id: run.id, state: run.state },
      );
    }
  }

  /** Records `version ContributedTo run` (input) or `run Produced version` (output). */
  async link(id: string, versionId: unknown, role: 'input' | 'output'): Promise<LineageEdge> {
    if (!isId(versionId)) {
      throw new ValidationError(
        `versionId must be a version id (32 hex digits), got ${JSON.stringify(versionId)}`,
        { rule: 'versionId' },
      );
    }
    const run = await this.record(id);
    this.assertNotEnded(run, role === 'input' ? 'given inputs' : 'given outputs');
    await this.assertLive(versionId, id, role);
    const at = this.now().toISOString();
    const stored = await this.store.insertEdge(this.edge(this.o.arns.run(id), versionId, role, at));
    if (role === 'output') {
      // W&B historyStep: where the run's history stood when it (first) logged the version.
      const step = await this.store.lastHistoryStep(id);
      if (step !== null) await this.store.setHistoryStepIfUnset(versionId, step);
    }
    if (run.state === 'crashed') {
      await this.store.updateRun(id, { state: 'running', finishedAt: null, heartbeatAt: at });
    }
    return stored;
  }

  private async assertLive(
    versionId: string,
    runId: string,
    role: 'input' | 'output',
  ): Promise<void> {
    if (!(await this.store.isLiveVersion(versionId))) {
      throw new NotFoundError(
        `artifact version ${versionId} does not exist (or was deleted); it cannot be ${role === 'input' ? 'used' : 'logged'} by run ${runId}`,
        { versionId },
      );
    }
  }

  private edge(
    runArn: string,
    versionId: string,
    role: 'input' | 'output',
    at: string,
  ): EdgeRecord {
    const versionArn = this.o.arns.version(versionId);
    return role === 'input'
      ? { source: versionArn, dest: runArn, type: LINEAGE_EDGE_CONTRIBUTED_TO, createdAt: at }
      : { source: runArn, dest: versionArn, type: LINEAGE_EDGE_PRODUCED, createdAt: at };
  }

  /**
   * Runs that logged (`producer`) or used (`consumers`) a version, as W&B answers for links:
   * a link was logged by its source's logger, and the users of a version (or of a link) are
   * the runs that used the source or any of its links, in the order they did, each once.
   */
  async runsOfVersion(versionId: string, direction: RunsDirection): Promise<RunInfo[]> {
    const family = isId(versionId) ? await this.store.linkFamily(versionId) : [];
    const [source] = family;
    if (source === undefined) {
      throw new NotFoundError(`artifact version ${versionId} does not exist`, { id: versionId });
    }
    let edges: { arn: string; at: string }[];
    if (direction === 'producer') {
      edges = (await this.store.edgesInto(this.o.arns.version(source), LINEAGE_EDGE_PRODUCED)).map(
        (e) => ({ arn: e.source, at: e.createdAt }),
      );
    } else {
      edges = [];
      for (const id of family) {
        const out = await this.store.edgesOutOf(
          this.o.arns.version(id),
          LINEAGE_EDGE_CONTRIBUTED_TO,
        );
        edges.push(...out.map((e) => ({ arn: e.dest, at: e.createdAt })));
      }
      edges.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    }
    const ids = [
      ...new Set(
        edges.flatMap((e) => {
          const p = this.o.arns.parse(e.arn);
          return p?.kind === 'action' && isId(p.id) ? [p.id] : [];
        }),
      ),
    ];
    const byId = new Map((await this.records(ids)).map((r) => [r.id, r]));
    return ids.flatMap((i) => {
      const r = byId.get(i);
      return r ? [this.info(r)] : [];
    });
  }

  /** Ids of the versions a run used (`input`) or logged (`output`), in edge order. */
  async versionsOf(id: string, role: 'input' | 'output'): Promise<string[]> {
    const arn = this.o.arns.run(id);
    const arns =
      role === 'input'
        ? (await this.store.edgesInto(arn, LINEAGE_EDGE_CONTRIBUTED_TO)).map((e) => e.source)
        : (await this.store.edgesOutOf(arn, LINEAGE_EDGE_PRODUCED)).map((e) => e.dest);
    return arns.flatMap((a) => {
      const p = this.o.arns.parse(a);
      return p?.kind === 'artifact' ? [p.id] : [];
    });
  }
}
