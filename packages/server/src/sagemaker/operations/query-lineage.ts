import { notFound, validation } from '../errors.js';
import { compact, str, stringList, stringMap, type Handler } from '../context.js';
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

/**
 * Breadth-first walk from the start ARN along associations: `Descendants` follows
 * source→destination, `Ascendants` the reverse, `Both` expands both ways from every visited
 * vertex (so siblings appear). Depth counts associations from the start.
 */
export const queryLineage: Handler = async (ctx, input) => {
  const starts = stringList(input['StartArns']) ?? [];
  const start = starts[0];
  if (start === undefined) return { Vertices: [], Edges: [] };
  const startEntity = (await resolve(ctx, [start])).get(start);
  if (!startEntity && !(await ctx.store.hasAssociations(start))) {
    throw notFound(`${start} does not exist.`);
  }
  const direction = str(input['Direction']) ?? 'Ascendants';
  const down = direction === 'Descendants' || direction === 'Both';
  const up = direction === 'Ascendants' || direction === 'Both';
  const maxDepth = Math.max(
    0,
    typeof input['MaxDepth'] === 'number' ? input['MaxDepth'] : DEFAULT_DEPTH,
  );

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

  const entities = await resolve(ctx, order);
  const filters = input['Filters'] as Record<string, unknown> | undefined;
  const vertices = order
    .map((arn) => ({ arn, entity: entities.get(arn) }))
    .filter((v) => matches(v, filters));
  const offset = decodeOffset(str(input['NextToken']));
  const pageSize = Math.max(
    1,
    typeof input['MaxResults'] === 'number' ? input['MaxResults'] : DEFAULT_PAGE,
  );
  const page = vertices.slice(offset, offset + pageSize);
  const more = offset + pageSize < vertices.length;
  const includeEdges = input['IncludeEdges'] !== false && offset === 0;
  return compact({
    Vertices: page.map((v) =>
      compact({
        Arn: v.arn,
        Type: v.entity?.type,
        LineageType: v.entity ? LINEAGE_TYPES[v.entity.kind] : lineageTypeOfArn(v.arn),
      }),
    ),
    Edges: includeEdges
      ? [...edges.values()].map((e) => ({
          SourceArn: e.source_arn,
          DestinationArn: e.dest_arn,
          AssociationType: e.type,
        }))
      : [],
    NextToken: more ? Buffer.from(`offset:${offset + pageSize}`).toString('base64url') : undefined,
  });
};
