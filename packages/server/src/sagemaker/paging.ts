import { validation } from './errors.js';

/** A sort key: the sort column(s) followed by a unique tie-breaker. */
export type SortKey = (string | number)[];

/** Numbers numerically, strings by code unit (the names and ARNs here are ASCII). */
export function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

export function encodeToken(key: SortKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * The key a NextToken carries, checked against the shape the list expects (`types`, one per key
 * part), so a forged or foreign token is a ValidationException, never a bad query.
 */
export function decodeToken(
  token: string | undefined,
  types: ('string' | 'number')[],
): SortKey | undefined {
  if (token === undefined || token === '') return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === types.length &&
      key.every((k, i) =>
        // Every numeric key is whole milliseconds or a position; anything else is forged.
        types[i] === 'number' ? Number.isSafeInteger(k) : typeof k === 'string',
      )
    ) {
      return key as SortKey;
    }
  } catch {
    // fall through to the error below
  }
  throw validation(`Invalid pagination token ${token}`);
}

/** What one page asks of a source: rows strictly after `after` in the sort direction. */
export interface PageRequest {
  after: SortKey | undefined;
  descending: boolean;
  limit: number;
}

/** A source of rows already ordered by key in the database (one query per page). */
export type PageSource<T> = (req: PageRequest) => Promise<{ item: T; key: SortKey }[]>;

/**
 * Keyset pagination in the database over one or more sources (entities created here, versions
 * and runs logged through the native API): each source returns at most `limit + 1` rows after
 * the token's key, and the merge keeps the first `limit`. The token is the key of the last item
 * returned, so inserts and deletes between pages neither repeat nor skip the items that stayed,
 * and no page reads more than `limit + 1` rows per source. No token on the last page (boto3
 * stops on a missing token and raises on a repeated one).
 */
export async function mergePages<T>(
  sources: PageSource<T>[],
  after: SortKey | undefined,
  descending: boolean,
  maxResults: number,
): Promise<{ page: T[]; nextToken?: string }> {
  const req: PageRequest = { after, descending, limit: maxResults + 1 };
  const rows: { item: T; key: SortKey }[] = [];
  for (const source of sources) rows.push(...(await source(req)));
  if (sources.length > 1) {
    rows.sort((a, b) => (descending ? -1 : 1) * compareKeys(a.key, b.key));
  }
  const page = rows.slice(0, maxResults);
  const last = page[page.length - 1];
  return {
    page: page.map((r) => r.item),
    ...(rows.length > maxResults && last ? { nextToken: encodeToken(last.key) } : {}),
  };
}

/**
 * The same over a small in-memory list (tags of one resource: at most 50; lineage groups: one
 * per account).
 */
export function paginate<T>(
  items: T[],
  keyOf: (item: T) => SortKey,
  descending: boolean,
  after: SortKey | undefined,
  maxResults: number,
): { page: T[]; nextToken?: string } {
  const keyed = items.map((item) => ({ item, key: keyOf(item) }));
  keyed.sort((a, b) => (descending ? -1 : 1) * compareKeys(a.key, b.key));
  let start = 0;
  if (after !== undefined) {
    start = keyed.findIndex((k) => (descending ? -1 : 1) * compareKeys(k.key, after) > 0);
    if (start < 0) start = keyed.length;
  }
  const slice = keyed.slice(start, start + maxResults);
  const last = slice[slice.length - 1];
  const more = start + maxResults < keyed.length;
  return {
    page: slice.map((k) => k.item),
    ...(more && last ? { nextToken: encodeToken(last.key) } : {}),
  };
}

/** `CreatedAfter`/`CreatedBefore` (epoch seconds, inclusive) as a millisecond range. */
export interface CreatedRange {
  fromMs?: number;
  toMs?: number;
}

/** The range of a JavaScript Date (±100,000,000 days): beyond it every row is inside or out. */
const MAX_MS = 8.64e15;
const clamp = (ms: number) => Math.min(MAX_MS, Math.max(-MAX_MS, ms));

export function createdRange(after: unknown, before: unknown): CreatedRange {
  return {
    ...(typeof after === 'number' ? { fromMs: clamp(after * 1000) } : {}),
    ...(typeof before === 'number' ? { toMs: clamp(before * 1000) } : {}),
  };
}

export function within(range: CreatedRange, ms: number): boolean {
  return (
    (range.fromMs === undefined || ms >= range.fromMs) &&
    (range.toMs === undefined || ms <= range.toMs)
  );
}
