import type { Kysely } from 'kysely';
import { SERVER_VERSION } from '../http/health.js';
import type { LineageServices } from '../http/runs.js';
import type { ResolvedOptions } from '../options.js';
import { KyselyLineageStore } from '../store/meta/kysely-lineage-store.js';
import type { Database } from '../store/meta/schema.js';
import { LineageService } from './lineage-service.js';
import { NodeArns } from './run-arns.js';
import { RunHistoryService } from './run-history.js';
import { RunService } from './run-service.js';
import type { VersionService } from './version-service.js';

const MAX_SWEEP_INTERVAL_MS = 60_000;

/**
 * Runs and lineage over the app's database, plus a sweep that marks runs crashed when their
 * heartbeat is stale (reads mark them too; the sweep keeps the SageMaker face current).
 */
export function createLineageServices(
  db: Kysely<Database>,
  o: Pick<ResolvedOptions, 'region' | 'account' | 'heartbeatTimeoutMs'>,
  versions: VersionService,
): LineageServices & { stop(): void } {
  const store = new KyselyLineageStore(db);
  const arns = new NodeArns(o.region, o.account);
  const runs = new RunService(store, { arns, heartbeatTimeoutMs: o.heartbeatTimeoutMs });
  const lineage = new LineageService(store, runs, {
    arns,
    resolveVersion: async (ref) => (await versions.resolve(ref)).id,
    producer: `https://github.com/cairn/cairn/tree/v${SERVER_VERSION}/packages/server`,
  });
  const timer = setInterval(
    () => void runs.sweepCrashed().catch(() => undefined),
    Math.min(o.heartbeatTimeoutMs, MAX_SWEEP_INTERVAL_MS),
  );
  timer.unref();
  const history = new RunHistoryService(store, runs);
  return { runs, lineage, history, stop: () => clearInterval(timer) };
}
