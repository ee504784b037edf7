import type { Kysely } from 'kysely';

/**
 * Object keys the garbage collector has unlinked from the index. Their bytes are deleted only
 * after a grace period, and only if no index row names them again by then, so a reader that
 * looked a blob up just before a repack still finds the old pack.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('retired_objects')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('retired_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('blobs_pack').on('blobs').column('pack_id').execute();
}
