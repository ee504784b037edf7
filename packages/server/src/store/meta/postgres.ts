import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { CairnError } from '@cairn/core';
import { migrate } from './migrate.js';
import type { Database } from './schema.js';

// bigint (int8) columns hold sizes and epoch milliseconds, all far below 2^53: read them as
// numbers, as SQLite returns them, instead of pg's default strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** Connects to PostgreSQL (`postgres://user:pass@host:port/db`) and brings the schema up to date. */
export async function openPostgresDatabase(url: string): Promise<Kysely<Database>> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle connection the database drops (restart, failover, admin) surfaces here; the pool
  // discards it and opens a new one on demand. Unhandled, it would crash the process.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end();
    throw new CairnError(
      'UNAVAILABLE',
      `cannot connect to PostgreSQL at ${url.replace(/\/\/[^@/]*@/, '//***@')}: ${(err as Error).message}`,
    );
  }
  return migrate(new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }));
}
