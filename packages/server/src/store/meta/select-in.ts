import { CompiledQuery, type Kysely } from 'kysely';
import { isPostgres, quoteIdentifier as quote } from './dialect.js';
import type { Database } from './schema.js';

/** Keys per statement, as the builder's chunked `in` lists had: well below SQLite's cap. */
const KEYS_PER_STATEMENT = 500;

/**
 * The rows of `table` whose `key` column is one of `keys`, with `columns` selected, by
 * statements written here rather than by the query builder. The hot lookups of an upload (which
 * of 10^4 blobs the index holds, and their sizes and MD5s at the commit) ran 500-value `in`
 * lists through Kysely, whose building, freezing and compiling of every value node cost about a
 * third as much as SQLite spent answering. Every full chunk has the same SQL text, so the
 * statement cache prepares it once. Keys are bound parameters; names come from the schema's types.
 */
export async function selectIn<
  T extends keyof Database & string,
  C extends keyof Database[T] & string,
>(
  db: Kysely<Database>,
  table: T,
  columns: readonly C[],
  key: keyof Database[T] & string,
  keys: readonly string[],
): Promise<Pick<Database[T], C>[]> {
  const pg = isPostgres(db);
  const head = `select ${columns.map(quote).join(', ')} from ${quote(table)} where ${quote(key)} in (`;
  const out: Pick<Database[T], C>[] = [];
  // In key order, each statement probes one stretch of the index instead of pages all over it.
  const sorted = [...keys].sort();
  for (let at = 0; at < sorted.length; at += KEYS_PER_STATEMENT) {
    const part = sorted.slice(at, at + KEYS_PER_STATEMENT);
    const marks = pg
      ? part.map((_, i) => `$${i + 1}`).join(', ')
      : '?, '.repeat(part.length - 1) + '?';
    const r = await db.executeQuery<Pick<Database[T], C>>(
      CompiledQuery.raw(`${head}${marks})`, part),
    );
    for (const row of r.rows) out.push(row);
  }
  return out;
}
