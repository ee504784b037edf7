import {
  DEFAULT_LINEAGE_DEPTH,
  DEFAULT_LINEAGE_NODE_LIMIT,
  MAX_LINEAGE_DEPTH,
  MAX_LINEAGE_NODE_LIMIT,
  NotFoundError,
  ValidationError,
  isId,
  type LineageArtifact,
  type LineageDirection,
  type LineageGraph,
  type LineageNode,
  type OpenLineageEvents,
  type RunInfo,
} from '@cairn/core';
import type { LineageStore, WalkDirection } from '../store/meta/lineage-store.js';
import { openLineageEvents } from './openlineage.js';
import type { NodeArns } from './run-arns.js';
import type { RunService } from './run-service.js';

const DIRECTIONS: Record<LineageDirection, WalkDirection[]> = {
  upstream: ['u'],
  downstream: ['d'],
  both: ['u', 'd'],
};

export function parseDirection(value: unknown): LineageDirection {
  if (value === undefined || value === '') return 'both';
  if (value === 'upstream' || value === 'downstream' || value === 'both') return value;
  throw new ValidationError(
    `direction must be upstream, downstream or both, got ${JSON.stringify(value)}`,
    { rule: 'lineage.direction' },
  );
}

export function parseDepth(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_LINEAGE_DEPTH;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > MAX_LINEAGE_DEPTH) {
    throw new ValidationError(
      `depth must be an integer from 0 to ${MAX_LINEAGE_DEPTH} (the limit), got ${JSON.stringify(value)}`,
      { rule: 'lineage.depth', limit: MAX_LINEAGE_DEPTH },
    );
  }
  return n;
}

export function parseNodeLimit(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_LINEAGE_NODE_LIMIT;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LINEAGE_NODE_LIMIT) {
    throw new ValidationError(
      `limit must be an integer from 1 to ${MAX_LINEAGE_NODE_LIMIT} nodes (the maximum), got ${JSON.stringify(value)}`,
      { rule: 'lineage.limit', limit: MAX_LINEAGE_NODE_LIMIT },
    );
  }
  return n;
}

export interface LineageServiceOptions {
  arns: NodeArns;
  /** Resolves an artifact reference (`entity/project/name:alias`, …) to a live version id. */
  resolveVersion: (ref: string) => Promise<string>;
  /** OpenLineage `producer` URI. */
  producer: string;
}

/** The lineage graph over `associations`, and its OpenLineage export. */
export class LineageService {
  constructor(
    private readonly store: LineageStore,
    private readonly runs: RunService,
    private readonly o: LineageServiceOptions,
  ) {}

  /** The ARN a user's reference names: an ARN of the graph, a version or run id, or an artifact ref. */
  async rootArn(ref: string): Promise<string> {
    if (typeof ref !== 'string' || ref === '') {
      throw new ValidationError('ref must name an artifact version, a run or an ARN', {
        rule: 'lineage.ref',
      });
    }
    const unknown = () =>
      new NotFoundError(`no lineage node ${ref}: no such artifact version, run or ARN`, { ref });
    if (ref.startsWith('arn:')) {
      const p = this.o.arns.parse(ref);
      if (p?.kind === 'artifact' && (await this.store.versionNodes([p.id])).length > 0) return ref;
      if (p?.kind === 'action' && (await this.store.getRun(p.id))) return ref;
      if (await this.store.hasEdges(ref)) return ref;
      throw unknown();
    }
    if (isId(ref)) {
      if ((await this.store.versionNodes([ref])).length > 0) return this.o.arns.version(ref);
      if (await this.store.getRun(ref)) return this.o.arns.run(ref);
      throw unknown();
    }
    return this.o.arns.version(await this.o.resolveVersion(ref));
  }

  async graph(
    ref: string,
    direction: unknown,
    depth: unknown,
    nodeLimit?: unknown,
  ): Promise<LineageGraph> {
    const dir = parseDirection(direction);
    const d = parseDepth(depth);
    const limit = parseNodeLimit(nodeLimit);
    const root = await this.rootArn(ref);
    const walked = await this.store.walk(root, DIRECTIONS[dir], d, limit);
    const parsed = walked.nodes.map((n) => ({ ...n, p: this.o.arns.parse(n.arn) }));
    const versionIds = parsed.flatMap((n) => (n.p?.kind === 'artifact' ? [n.p.id] : []));
    const runIds = parsed.flatMap((n) => (n.p?.kind === 'action' && isId(n.p.id) ? [n.p.id] : []));
    const versions = new Map((await this.store.versionNodes(versionIds)).map((v) => [v.id, v]));
    const runs = new Map(
      (await this.runs.records(runIds)).map((r) => [r.id, this.runs.info(r)] as const),
    );
    const nodes = parsed.map((n): LineageNode => {
      const id = n.p?.id ?? n.arn;
      const artifact = n.p?.kind === 'artifact' ? versions.get(id) : undefined;
      if (artifact)
        return { arn: n.arn, kind: 'artifact', id, depth: n.depth, label: artifact.ref, artifact };
      const run = n.p?.kind === 'action' ? runs.get(id) : undefined;
      if (run) return { arn: n.arn, kind: 'run', id, depth: n.depth, label: run.name, run };
      const kind = n.p?.kind === 'context' || n.p?.kind === 'action' ? n.p.kind : 'other';
      return { arn: n.arn, kind, id, depth: n.depth, label: id };
    });
    return {
      root,
      direction: dir,
      depth: d,
      limit,
      truncated: walked.truncated,
      nodes,
      edges: walked.edges,
    };
  }

  async openLineage(runId: string): Promise<OpenLineageEvents> {
    const run: RunInfo = await this.runs.get(runId);
    const side = async (role: 'input' | 'output'): Promise<LineageArtifact[]> => {
      const ids = await this.runs.versionsOf(runId, role);
      const byId = new Map((await this.store.versionNodes(ids)).map((v) => [v.id, v]));
      return ids.flatMap((i) => byId.get(i) ?? []);
    };
    return {
      events: openLineageEvents(run, await side('input'), await side('output'), this.o.producer),
    };
  }
}
