import {
  CairnError,
  ValidationError,
  formatArtifactRef,
  parseArtifactRef,
  type LineageGraph,
  type Page,
  type RunHistoryRow,
  type RunInfo,
  type RunLogRequest,
  type RunLogResult,
  type RunState,
  type RunUpdate,
  type VersionInfo,
} from '@cairn/core';
import { Artifact } from './artifact.js';
import type { ClientContext } from './context.js';
import {
  clearActiveRun,
  createRun,
  fetchLineage,
  getRun,
  linkRun,
  setActiveRun,
  updateRun,
  type LineageOptions,
  type OutputRecorder,
} from './lineage.js';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;

export interface InitOptions {
  /** Default the client's entity. */
  entity?: string;
  /** Default the client's project. */
  project?: string;
  /** Display name; the server makes one up when absent. */
  name?: string;
  /** W&B's job_type: `train`, `eval`, … */
  jobType?: string;
  config?: Record<string, unknown>;
  /**
   * How often the run tells the server it is alive (default 30 s; the server marks a run
   * crashed after 5 minutes of silence). 0 sends none.
   */
  heartbeatIntervalMs?: number;
}

export interface LogArtifactOptions {
  aliases?: string[];
  tags?: string[];
}

/**
 * A run (W&B `Run`): a unit of work that uses artifact versions and logs new ones. While it runs
 * it beats every `heartbeatIntervalMs` on a timer that never keeps the process alive; a run
 * that is never finished is marked crashed by the server once the beats stop.
 */
export class Run implements OutputRecorder {
  private info: RunInfo;
  private timer: NodeJS.Timeout | undefined;
  // Updates go out one at a time, so steps reach the server in order.
  private queue: Promise<unknown> = Promise.resolve();
  private localStep: number;
  private finishing: Promise<RunInfo> | undefined;
  private logError: unknown;

  private constructor(
    private readonly ctx: ClientContext,
    info: RunInfo,
  ) {
    this.info = info;
    this.localStep = info.step;
  }

  /** Starts a run on the server; it becomes the process's active run until `finish()`. */
  static async start(ctx: ClientContext, options: InitOptions = {}): Promise<Run> {
    const info = await createRun(ctx, {
      entity: options.entity ?? ctx.entity,
      project: options.project ?? ctx.project,
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(options.jobType !== undefined ? { jobType: options.jobType } : {}),
      ...(options.config !== undefined ? { config: options.config } : {}),
    });
    const run = new Run(ctx, info);
    const every = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    if (every > 0) {
      run.timer = setInterval(() => void run.heartbeat().catch(() => undefined), every);
      run.timer.unref();
    }
    setActiveRun(run);
    return run;
  }

  /** A handle on a run as the server reports it (from `loggedBy()`, `usedBy()`); no heartbeat. */
  static fromInfo(ctx: ClientContext, info: RunInfo): Run {
    return new Run(ctx, info);
  }

  get id(): string {
    return this.info.id;
  }
  get arn(): string {
    return this.info.arn;
  }
  get entity(): string {
    return this.info.entity;
  }
  get project(): string {
    return this.info.project;
  }
  get name(): string {
    return this.info.name;
  }
  get jobType(): string | null {
    return this.info.jobType;
  }
  get config(): Record<string, unknown> {
    return this.info.config;
  }
  /** As last heard from the server (`refresh()` asks again). */
  get state(): RunState {
    return this.info.state;
  }
  get exitCode(): number | null {
    return this.info.exitCode;
  }
  get createdAt(): string {
    return this.info.createdAt;
  }
  get finishedAt(): string | null {
    return this.info.finishedAt;
  }
  /** The history step (W&B `run.step`): the step the next `log()` row goes to. */
  get step(): number {
    return this.localStep;
  }
  toJSON(): RunInfo {
    return { ...this.info, step: this.localStep };
  }

  /**
   * Logs one row of metrics at the current step (or at `options.step`, not below it) and
   * advances the step past it, as W&B's `run.log`. The row is sent in order with the run's
   * other updates; await the promise to see it stored, or let `finish()` and the next logged
   * artifact wait for it (a failed row makes `finish()` throw).
   */
  log(data: Record<string, unknown> = {}, options: { step?: number } = {}): Promise<void> {
    if (options.step !== undefined) {
      if (!Number.isSafeInteger(options.step) || options.step < this.localStep) {
        throw new ValidationError(
          `step must be an integer not below the current step ${this.localStep}, got ${options.step}`,
          { rule: 'run.step' },
        );
      }
      this.localStep = options.step;
    }
    const body: RunLogRequest = { step: this.localStep, data };
    this.localStep += 1;
    const sent = this.queue.then(() =>
      this.ctx.http.json<RunLogResult>('POST', `/runs/${this.id}/history`, { json: body }),
    );
    this.queue = sent.catch((err: unknown) => {
      this.logError ??= err;
    });
    return sent.then(() => undefined);
  }

  /** The run's logged history, oldest step first. */
  async history(): Promise<RunHistoryRow[]> {
    await this.queue;
    const out: RunHistoryRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.ctx.http.json<Page<RunHistoryRow>>(
        'GET',
        `/runs/${this.id}/history`,
        { query: { cursor } },
      );
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return out;
  }

  private send(body: RunUpdate): Promise<RunInfo> {
    const next = this.queue.then(() => updateRun(this.ctx, this.id, body));
    this.queue = next.catch(() => undefined);
    return next.then((info) => {
      this.info = info;
      return info;
    });
  }

  /** Tells the server the run is alive (and its step); the timer does this on its own. */
  async heartbeat(): Promise<void> {
    if (this.finishing) return;
    try {
      await this.send({ heartbeat: true, step: this.localStep });
    } catch (err) {
      // Ended elsewhere (or gone): beating on is pointless.
      if (err instanceof CairnError && (err.code === 'CONFLICT' || err.code === 'NOT_FOUND')) {
        this.stopHeartbeat();
      }
      throw err;
    }
  }

  private stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The run as the server has it now (a run that stopped beating shows `crashed`). */
  async refresh(): Promise<Run> {
    this.info = await getRun(this.ctx, this.id);
    return this;
  }

  /**
   * Records that this run used an artifact version (`version ContributedTo run`) and returns it,
   * ready to download. A string is a reference, `name[:alias]` resolved in the run's project.
   */
  async useArtifact(refOrArtifact: string | Artifact): Promise<Artifact> {
    let artifact: Artifact;
    if (typeof refOrArtifact === 'string') {
      const ref = parseArtifactRef(refOrArtifact, { entity: this.entity, project: this.project });
      const info = await this.ctx.http.json<VersionInfo>('GET', '/versions/resolve', {
        query: { ref: formatArtifactRef(ref) },
      });
      artifact = Artifact.fromVersion(this.ctx, info);
    } else {
      artifact = refOrArtifact;
    }
    const id = artifact.id;
    if (id === undefined) {
      throw new CairnError(
        'ARTIFACT_NOT_LOGGED',
        `artifact ${artifact.name} is a draft; log it (run.logArtifact) before a run can use it`,
      );
    }
    await linkRun(this.ctx, this.id, 'inputs', id);
    return artifact;
  }

  /**
   * Logs a draft as a new version in the run's project (or takes an already logged one) and
   * records `run Produced version`. Aliases and tags are added to the version.
   */
  async logArtifact(artifact: Artifact, options: LogArtifactOptions = {}): Promise<Artifact> {
    if (artifact.id === undefined) {
      await artifact.save({
        client: { context: this.ctx },
        entity: this.entity,
        project: this.project,
        ...options,
        run: this,
      });
      return artifact;
    }
    if (options.aliases !== undefined || options.tags !== undefined) {
      artifact.aliases = [...new Set([...artifact.aliases, ...(options.aliases ?? [])])];
      artifact.tags = [...new Set([...artifact.tags, ...(options.tags ?? [])])];
      await artifact.save();
    }
    await this.recordOutput(artifact.id);
    return artifact;
  }

  async recordOutput(versionId: string): Promise<boolean> {
    // The history logged so far decides the version's historyStep: it must be stored first.
    await this.queue;
    await linkRun(this.ctx, this.id, 'outputs', versionId);
    return this.localStep > 0;
  }

  /** Ends the run: exit code 0 (default) → finished, anything else → failed. Idempotent. */
  finish(options: { exitCode?: number } = {}): Promise<RunInfo> {
    if (!this.finishing) {
      this.stopHeartbeat();
      clearActiveRun(this);
      this.finishing = this.send({
        finish: { exitCode: options.exitCode ?? 0 },
        step: this.localStep,
      });
    }
    const logError = this.logError;
    if (logError !== undefined) {
      this.logError = undefined;
      return this.finishing.then(() => Promise.reject(logError as Error));
    }
    return this.finishing;
  }

  /** Versions this run used (one level of lineage upstream). */
  async usedArtifacts(): Promise<Artifact[]> {
    return this.neighbours('upstream');
  }

  /** Versions this run logged (one level of lineage downstream). */
  async loggedArtifacts(): Promise<Artifact[]> {
    return this.neighbours('downstream');
  }

  private async neighbours(direction: 'upstream' | 'downstream'): Promise<Artifact[]> {
    const g = await this.lineage({ direction, depth: 1 });
    const out: Artifact[] = [];
    for (const n of g.nodes) {
      if (n.kind !== 'artifact' || n.artifact?.state !== 'COMMITTED') continue;
      const info = await this.ctx.http.json<VersionInfo>('GET', `/versions/${n.id}`);
      out.push(Artifact.fromVersion(this.ctx, info));
    }
    return out;
  }

  /** The lineage graph around this run. */
  lineage(options: LineageOptions = {}): Promise<LineageGraph> {
    return fetchLineage(this.ctx, this.id, options);
  }
}
