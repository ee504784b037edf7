import { validation } from './errors.js';

export type SortKey = (string | number)[];

function compareKeys(a: SortKey, b: SortKey): number {
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

function encodeToken(key: SortKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeToken(token: string): SortKey {
  try {
    const key: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.every((k) => typeof k === 'string' || typeof k === 'number')) {
      return key as SortKey;
    }
  } catch {
    // fall through to the error below
  }
  throw validation(`Invalid pagination token ${token}`);
}

/**
 * Keyset pagination over an in-memory list: items are ordered by their key (which must end in a
 * unique tie-breaker), and the token is the key of the last item returned, so inserts and
 * deletes between pages neither repeat nor skip the items that stayed. No token on the last
 * page (boto3 stops on a missing token and raises on a repeated one).
 */
export function paginate<T>(
  items: T[],
  keyOf: (item: T) => SortKey,
  descending: boolean,
  nextToken: string | undefined,
  maxResults: number,
): { page: T[]; nextToken?: string } {
  const keyed = items.map((item) => ({ item, key: keyOf(item) }));
  keyed.sort((a, b) => (descending ? -1 : 1) * compareKeys(a.key, b.key));
  let start = 0;
  if (nextToken !== undefined && nextToken !== '') {
    const after = decodeToken(nextToken);
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

/** `CreatedAfter`/`CreatedBefore` (epoch seconds, inclusive) as a predicate on milliseconds. */
export function createdWithin(after: unknown, before: unknown): (ms: number) => boolean {
  const a = typeof after === 'number' ? after * 1000 : -Infinity;
  const b = typeof before === 'number' ? before * 1000 : Infinity;
  return (ms) => ms >= a && ms <= b;
}
