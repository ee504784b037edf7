import type { LineageArtifact, RunState } from '@cairn/core';

/**
 * What the run and lineage services need from the database: runs (migration 002), edges in the
 * `associations` table shared with the SageMaker face, and a read-only view of versions.
 */
export interface RunRecord {
  id: string;
  entity: string;
  project: string;
  name: string;
  jobType: string | null;
  config: Record<string, unknown>;
  state: RunState;
  exitCode: number | null;
  step: number;
  heartbeatAt: string;
  createdAt: string;
  finishedAt: string | null;
}

export type RunPatch = Partial<
  Pick<RunRecord, 'state' | 'exitCode' | 'step' | 'heartbeatAt' | 'finishedAt'>
>;

export interface EdgeRecord {
  source: string;
  dest: string;
  type: string;
  createdAt: string;
}

/** `u` walks edges backwards (upstream), `d` forwards (downstream). */
export type WalkDirection = 'u' | 'd';

export interface WalkResult {
  /** Every node reached, the root included, at its smallest depth. */
  nodes: { arn: string; depth: number }[];
  /** Every edge traversed between returned nodes (deduplicated). */
  edges: EdgeRecord[];
  /** True when the node cap cut the walk: more nodes lie within the depth. */
  truncated: boolean;
}

export interface LineageStore {
  /** Inserts the run and its first edges (none already exist: the run is new) atomically. */
  insertRun(run: RunRecord, edges?: EdgeRecord[]): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  getRuns(ids: string[]): Promise<RunRecord[]>;
  updateRun(id: string, patch: RunPatch): Promise<void>;
  /**
   * Stores `crashed` for running runs (of `ids`, or all) whose last heartbeat is before
   * `cutoff`; their `finishedAt` becomes that heartbeat. Returns how many changed.
   */
  markCrashed(cutoff: string, ids?: string[]): Promise<number>;

  /** Inserts the edge unless one already joins the two nodes; returns the stored edge. */
  insertEdge(edge: EdgeRecord): Promise<EdgeRecord>;
  /** Edges into `dest` (of `type`), oldest first. */
  edgesInto(dest: string, type: string): Promise<EdgeRecord[]>;
  /** Edges out of `source` (of `type`), oldest first. */
  edgesOutOf(source: string, type: string): Promise<EdgeRecord[]>;
  /** Whether any edge touches the node. */
  hasEdges(arn: string): Promise<boolean>;
  /**
   * One recursive query: nodes and edges within `depth` edges of `root`, at most `nodeLimit`
   * nodes (the nearest), with work bounded by that limit. Safe on cycles.
   */
  walk(
    root: string,
    directions: WalkDirection[],
    depth: number,
    nodeLimit: number,
  ): Promise<WalkResult>;

  /** Versions as lineage nodes, deleted ones included (their state says so). */
  versionNodes(ids: string[]): Promise<LineageArtifact[]>;
  /** Whether a committed (not deleted) version has this id. */
  isLiveVersion(id: string): Promise<boolean>;

  /**
   * A version's registry family: its source (itself when it is no link) first, then every
   * link of that source, unlinked ones included (a run that used a link still used it).
   */
  linkFamily(versionId: string): Promise<string[]>;

  /** Stores one history row; false when the run already has a row at that step. */
  insertHistory(runId: string, row: HistoryRecord): Promise<boolean>;
  /** History rows after `afterStep` (or from the start), oldest first, at most `limit`. */
  history(runId: string, afterStep: number | undefined, limit: number): Promise<HistoryRecord[]>;
  /** The run's largest logged step, or null. */
  lastHistoryStep(runId: string): Promise<number | null>;
  /** Sets a version's historyStep unless it has one (its first logger's stays). */
  setHistoryStepIfUnset(versionId: string, step: number): Promise<void>;
}

export interface HistoryRecord {
  step: number;
  data: Record<string, unknown>;
  createdAt: string;
}
