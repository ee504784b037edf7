import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from './migrations/index.js';
import type { Database as Schema } from './schema.js';
import { KyselyMetaStore } from './kysely-meta-store.js';

/** Opens (creating if needed) the embedded SQLite database and brings its schema up to date. */
export async function openSqliteDatabase(file: string): Promise<Kysely<Schema>> {
  const sqlite = new Database(file);
  // WAL lets readers run beside the writer; FULL sync makes a commit durable once it returns.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  const { error, results } = await new Migrator({
    db,
    provider: migrationProvider,
    // Migration numbers are reserved per feature and may land out of order (003 before 002).
    allowUnorderedMigrations: true,
  }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    await db.destroy();
    throw new Error(`database migration ${failed} failed: ${String(error)}`);
  }
  return db;
}

export async function openSqliteMetaStore(file: string): Promise<KyselyMetaStore> {
  return new KyselyMetaStore(await openSqliteDatabase(file));
}
