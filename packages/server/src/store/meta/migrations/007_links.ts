import type { Kysely } from 'kysely';

/** Registry links: a version in a registry collection that shows another version's content. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('versions').addColumn('source_version_id', 'text').execute();
  await db.schema
    .createIndex('versions_source')
    .on('versions')
    .column('source_version_id')
    .execute();
}
