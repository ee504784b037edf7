import { CompiledQuery, type Kysely } from 'kysely';
import { isPostgres, quoteIdentifier as quote } from './dialect.js';
import type { Database } from './schema.js';

/** Rows per statement: at most 8 columns × 400 = 3,200 parameters, well below SQLite's cap. */
const ROWS_PER_STATEMENT = 400;

type Value = string | number | null;

/**
 * Inserts many rows of one table with statements written here, not by the query builder: for
 * the 10^4 manifest entries, blob rows and upload pins of one log, building and compiling the
 * same 400-row insert over and over cost Kysely more than SQLite spent running it. Every full
 * chunk has the same SQL text, so SQLite's statement cache prepares it once. Values are bound
 * parameters, as the builder's are; table and column names come from the schema's types.
 */
export async function bulkInsert<T extends keyof Database & string>(
  db: Kysely<Database>,
  table: T,
  columns: readonly (keyof Database[T] & string)[],
  rows: readonly Value[][],
  options: { ignoreConflictOn?: keyof Database[T] & string } = {},
): Promise<void> {
  const pg = isPostgres(db);
  const conflict = options.ignoreConflictOn
    ? ` on conflict (${quote(options.ignoreConflictOn)}) do nothing`
    : '';
  for (let at = 0; at < rows.length; at += ROWS_PER_STATEMENT) {
    const part = rows.slice(at, at + ROWS_PER_STATEMENT);
    const params: Value[] = [];
    const tuples: string[] = [];
    for (const row of part) {
      if (row.length !== columns.length) {
        throw new Error(`a row of ${table} has ${row.length} values for ${columns.length} columns`);
      }
      const marks = row.map((v) => {
        params.push(v);
        return pg ? `$${params.length}` : '?';
      });
      tuples.push(`(${marks.join(', ')})`);
    }
    const sql = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values ${tuples.join(', ')}${conflict}`;
    await db.executeQuery(CompiledQuery.raw(sql, params));
  }
}
