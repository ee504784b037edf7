import { Migrator, type Kysely } from 'kysely';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

/** Brings a database of either dialect up to date; on failure closes it and names the step. */
export async function migrate(db: Kysely<Database>): Promise<Kysely<Database>> {
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
