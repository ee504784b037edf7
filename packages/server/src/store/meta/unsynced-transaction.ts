import { sql, type Kysely, type Transaction } from 'kysely';
import { isPostgres } from './dialect.js';
import type { Database } from './schema.js';

/**
 * A transaction whose commit does not wait for the disk: it is written to the log (SQLite's
 * WAL, PostgreSQL's WAL) but not flushed, so a power loss may drop it, while a crashed or
 * killed server keeps it (the bytes are in the OS). Both logs are sequential: the next durable
 * commit flushes it too, and after a power loss what survives is a prefix of the commits, in
 * order. For the bookkeeping of an upload in progress (its session's pins, its packs' index
 * rows): lost, they cost a retry, never a wrong answer, since the version's own commit is
 * durable and carries them with it. A 10^4-file log makes about twenty of these; each durable
 * commit blocks the server's one thread for an fsync.
 */
export async function unsyncedTransaction<T>(
  db: Kysely<Database>,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (isPostgres(db)) {
    return db.transaction().execute(async (trx) => {
      await sql`set local synchronous_commit = off`.execute(trx);
      return fn(trx);
    });
  }
  // SQLite sets the level per connection, and not inside a transaction: set it around one, on
  // a connection held throughout, so no other statement runs at the relaxed level.
  return db.connection().execute(async (conn) => {
    const level = await sql<{ synchronous: number }>`pragma synchronous`.execute(conn);
    const restore = level.rows[0]?.synchronous ?? 2;
    await sql`pragma synchronous = normal`.execute(conn);
    try {
      return await conn.transaction().execute(fn);
    } finally {
      await sql.raw(`pragma synchronous = ${Number(restore)}`).execute(conn);
    }
  });
}
