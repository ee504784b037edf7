import type { Kysely } from 'kysely';

/**
 * Drops the index on `entries.sha256`. No query looks entries up by blob: the garbage
 * collector's "still referenced" test reads the entries once (SQLite: `not in (subquery)` into
 * a temporary index; PostgreSQL: `not exists` as a hash anti-join), and neither plan touches
 * the index. Keeping it cost every commit one random-key insert per entry: about 40 % of the
 * time a 10^4-entry commit spent inserting its entries.
 */
// Migrations see the database as it was when they were written, not today's schema types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('entries_sha256').ifExists().execute();
}
