import { notFound, validation } from '../errors.js';
import {
  compact,
  str,
  stringList,
  stringMap,
  type Handler,
  type OperationContext,
} from '../context.js';
import { LINEAGE_TYPES, lineageTypeOfArn, resolve, type LineageEntity } from '../entities.js';
import type { AssociationRow } from '../store.js';

const DEFAULT_DEPTH = 10;
const DEFAULT_PAGE = 50;

interface Vertex {
  arn: string;
  entity: LineageEntity | undefined;
}

/** Vertex filters; any pair of `Properties` matching is enough, as the reference says. */
function matches(v: Vertex, filters: Record<string, unknown> | undefined): boolean {
  if (!filters) return true;
  const e = v.entity;
  const types = stringList(filters['Types']);
  if (types && types.length > 0 && (!e || !types.includes(e.type))) return false;
  const lineageTypes = stringList(filters['LineageTypes']);
  const lt = e ? LINEAGE_TYPES[e.kind] : lineageTypeOfArn(v.arn);
  if (lineageTypes && lineageTypes.length > 0 && (!lt || !lineageTypes.includes(lt))) return false;
  const time = (key: string, ms: number | undefined, after: boolean): boolean => {
    const bound = filters[key];
    if (typeof bound !== 'number') return true;
    if (ms === undefined) return false;
    return after ? ms > bound * 1000 : ms < bound * 1000;
  };
  if (!time('CreatedAfter', e?.createdMs, true) || !time('CreatedBefore', e?.createdMs, false)) {
    return false;
  }
  if (!time('ModifiedAfter', e?.updatedMs, true) || !time('ModifiedBefore', e?.updatedMs, false)) {
    return false;
  }
  const props = stringMap(filters['Properties']);
  if (props && Object.keys(props).length > 0) {
    if (!e || !Object.entries(props).some(([k, val]) => e.properties[k] === val)) return false;
  }
  return true;
}

function decodeOffset(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  const n = Number(
    Buffer.from(token, 'base64url')
      .toString('utf8')
      .replace(/^offset:/, ''),
  );
  if (!Number.isInteger(n) || n < 0) throw validation(`Invalid pagination token ${token}`);
  return n;
}

interface Walk {
  /** Vertices in BFS order, after the filters. */
  arns: string[];
  entities: Map<string, LineageEntity>;
  edges: AssociationRow[];
}

/**
 * Recent walks, so the pages after the first (the SDK paginator asks for them back to back)
 * slice the walk the first page made instead of walking again. A first page always walks, so a
 * new query sees the graph as it is; later pages see it as their first page did, for at most
 * WALK_TTL_MS. Bounded in entries and in vertices held.
 */
const WALK_TTL_MS = 60_000;
const MAX_WALKS = 32;
const MAX_CACHED_VERTICES = 50_000;

function walksOf(ctx: OperationContext): Map<string, { at: number; walk: Walk }> {
  ctx.cache.walks ??= new Map();
  return ctx.cache.walks as Map<string, { at: number; walk: Walk }>;
}

function remember(ctx: OperationContext, key: string, walk: Walk, now: number): void {
  if (walk.arns.length > MAX_CACHED_VERTICES) return;
  const walks = walksOf(ctx);
  for (const [k, w] of walks) if (now - w.at > WALK_TTL_MS) walks.delete(k);
  if (walks.size >= MAX_WALKS) {
    const oldest = walks.keys().next();
    if (!oldest.done) walks.delete(oldest.value);
  }
  walks.set(key, { at: now, walk });
}

/**
 * Breadth-first walk from the start ARN along associations: `Descendants` follows
 * source→destination, `Ascendants` the reverse, `Both` expands both ways from every visited
 * vertex (so siblings appear). Depth counts associations from the start.
 */
async function walk(
  ctx: OperationContext,
  start: string,
  direction: string,
  maxDepth: number,
  filters: Record<string, unknown> | undefined,
): Promise<Walk> {
  const down = direction === 'Descendants' || direction === 'Both';
  const up = direction === 'Ascendants' || direction === 'Both';
  const order: string[] = [start];
  const seen = new Set(order);
  const edges = new Map<string, AssociationRow>();
  let frontier = [start];
  for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
    const found: AssociationRow[] = [
      ...(down ? await ctx.store.edges(frontier, 'out') : []),
      ...(up ? await ctx.store.edges(frontier, 'in') : []),
    ];
    const next: string[] = [];
    for (const edge of found) {
      edges.set(`${edge.source_arn}\n${edge.dest_arn}`, edge);
      for (const arn of [edge.source_arn, edge.dest_arn]) {
        if (seen.has(arn)) continue;
        seen.add(arn);
        order.push(arn);
        next.push(arn);
      }
    }
    frontier = next;
  }
  // Without filters only the vertices of a page need their entities (for Type/LineageType).
  if (!filters) return { arns: order, entities: new Map(), edges: [...edges.values()] };
  const entities = await resolve(ctx, order);
  const arns = order.filter((arn) => matches({ arn, entity: entities.get(arn) }, filters));
  return { arns, entities, edges: [...edges.values()] };
}

export const queryLineage: Handler = async (ctx, input) => {
  const starts = stringList(input['StartArns']) ?? [];
  const start = starts[0];
  if (start === undefined) return { Vertices: [], Edges: [] };
  const direction = str(input['Direction']) ?? 'Ascendants';
  const maxDepth = Math.max(
    0,
    typeof input['MaxDepth'] === 'number' ? input['MaxDepth'] : DEFAULT_DEPTH,
  );
  const filters = input['Filters'] as Record<string, unknown> | undefined;
  const offset = decodeOffset(str(input['NextToken']));
  const key = JSON.stringify([start, direction, maxDepth, filters ?? null]);
  const now = ctx.nowMs();
  const cached = walksOf(ctx).get(key);
  let w: Walk;
  if (offset > 0 && cached && now - cached.at <= WALK_TTL_MS) {
    w = cached.walk;
  } else {
    const startEntity = (await resolve(ctx, [start])).get(start);
    if (!startEntity && !(await ctx.store.hasAssociations(start))) {
      throw notFound(`${start} does not exist.`);
    }
    w = await walk(ctx, start, direction, maxDepth, filters);
    remember(ctx, key, w, now);
  }
  const pageSize = Math.max(
    1,
    typeof input['MaxResults'] === 'number' ? input['MaxResults'] : DEFAULT_PAGE,
  );
  const page = w.arns.slice(offset, offset + pageSize);
  const more = offset + pageSize < w.arns.length;
  const entities = filters ? w.entities : await resolve(ctx, page);
  const includeEdges = input['IncludeEdges'] !== false && offset === 0;
  return compact({
    Vertices: page.map((arn) => {
      const e = entities.get(arn);
      return compact({
        Arn: arn,
        Type: e?.type,
        LineageType: e ? LINEAGE_TYPES[e.kind] : lineageTypeOfArn(arn),
      });
    }),
    Edges: includeEdges
      ? w.edges.map((e) => ({
          SourceArn: e.source_arn,
          DestinationArn: e.dest_arn,
          AssociationType: e.type,
        }))
      : [],
    NextToken: more ? Buffer.from(`offset:${offset + pageSize}`).toString('base64url') : undefined,
  });
};
