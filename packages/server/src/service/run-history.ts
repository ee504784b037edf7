import {
  ConflictError,
  MAX_RUN_LOG_BYTES,
  ValidationError,
  type Page,
  type RunHistoryRow,
  type RunLogRequest,
  type RunLogResult,
} from '@cairn/core';
import type { LineageStore } from '../store/meta/lineage-store.js';
import { decodeCursor, keysetPage } from './version-info.js';
import type { RunService } from './run-service.js';

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10_000;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Run history (W&B `run.log`): metrics stored per step, the run's step advanced past them. */
export class RunHistoryService {
  constructor(
    private readonly store: LineageStore,
    private readonly runs: RunService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async log(runId: string, body: RunLogRequest): Promise<RunLogResult> {
    if (!isPlainObject(body) || !isPlainObject(body.data)) {
      throw new ValidationError('a history row needs `data`, a JSON object of metrics', {
        rule: 'run.log.data',
      });
    }
    const bytes = Buffer.byteLength(JSON.stringify(body.data));
    if (bytes > MAX_RUN_LOG_BYTES) {
      throw new ValidationError(
        `a history row is ${bytes} bytes of JSON; the limit is ${MAX_RUN_LOG_BYTES}`,
        { rule: 'run.log.size', limit: MAX_RUN_LOG_BYTES },
      );
    }
    const run = await this.runs.openRecord(runId, 'logged to');
    const step = body.step ?? run.step;
    if (!Number.isSafeInteger(step) || step < run.step) {
      throw new ValidationError(
        `step must be an integer not below the run's current step ${run.step}, got ${JSON.stringify(body.step)}`,
        { rule: 'run.step', step: run.step },
      );
    }
    const at = this.now().toISOString();
    if (!(await this.store.insertHistory(runId, { step, data: body.data, createdAt: at }))) {
      throw new ConflictError(`run ${runId} already logged history at step ${step}`, {
        id: runId,
        step,
      });
    }
    await this.store.updateRun(runId, { step: step + 1, heartbeatAt: at });
    return { step, nextStep: step + 1 };
  }

  async history(runId: string, cursor?: string, limit?: string): Promise<Page<RunHistoryRow>> {
    await this.runs.assertExists(runId);
    const n = limit === undefined || limit === '' ? DEFAULT_LIMIT : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
      throw new ValidationError(`limit must be an integer from 1 to ${MAX_LIMIT}`, {
        rule: 'limit',
        limit: MAX_LIMIT,
      });
    }
    const after = decodeCursor(cursor);
    if (after !== undefined && typeof after !== 'number') {
      throw new ValidationError('cursor is not one this server handed out', { rule: 'cursor' });
    }
    const rows = await this.store.history(runId, after, n + 1);
    return keysetPage(rows.slice(0, n), rows.length > n, (r) => r.step);
  }
}
