import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { migrate } from './migrate.js';
import type { Database as Schema } from './schema.js';
import { KyselyMetaStore } from './kysely-meta-store.js';
import { withStatementCache } from './sqlite-statements.js';

/** Opens (creating if needed) the embedded SQLite database and brings its schema up to date. */
export async function openSqliteDatabase(file: string): Promise<Kysely<Schema>> {
  const sqlite = new Database(file);
  // WAL lets readers run beside the writer; FULL sync makes a commit durable once it returns.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Schema>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  });
  return migrate(db);
}

export async function openSqliteMetaStore(file: string): Promise<KyselyMetaStore> {
  return new KyselyMetaStore(await openSqliteDatabase(file));
}
