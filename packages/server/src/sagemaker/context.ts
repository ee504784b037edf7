import type { SageMakerStore } from './store.js';

/** Per-account quotas on entities created through this face (AWS's defaults by default). */
export interface SageMakerLimits {
  artifacts: number;
  contexts: number;
  actions: number;
  associations: number;
}

export const DEFAULT_LIMITS: SageMakerLimits = {
  artifacts: 6000,
  contexts: 500,
  actions: 3000,
  associations: 6000,
};

/** What every operation gets: the store, the identity ARNs are minted in, and the quotas. */
export interface OperationContext {
  store: SageMakerStore;
  /**
   * The region ARNs are stored in. Clients may sign for another region; the router maps ARNs
   * between the two at the edge (region.ts), so handlers only ever see this one.
   */
  region: string;
  account: string;
  limits: SageMakerLimits;
  nowMs(): number;
  /** The access key id whose SigV4 signature was verified; null when nothing was verified. */
  identity: string | null;
  /**
   * Per-server memory shared by its requests: facts that never become false again, and recent
   * QueryLineage walks for the pages after the first (operations/query-lineage.ts).
   */
  cache: { defaultGroupExists?: boolean; walks?: Map<string, unknown> };
}

export type Input = Record<string, unknown>;
export type Output = Record<string, unknown>;
export type Handler = (ctx: OperationContext, input: Input) => Promise<Output>;

/** Drops null and undefined members: AWS leaves them out of responses. */
export function compact(o: Record<string, unknown>): Output {
  const out: Output = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

export function stringMap(v: unknown): Record<string, string> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, string>) : undefined;
}

export function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? (v as string[]) : undefined;
}
