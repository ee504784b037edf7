import type { Kysely } from 'kysely';

/**
 * SageMaker face (issue 4): who created and last modified each entity, association and lineage
 * group (the access key id that signed the request; NULL when unsigned), a revision counter for
 * conflicting updates, and the indexes that let
 * every List* operation page in the database by keyset instead of reading all rows.
 */
// Migrations see the database as it was when they were written, not today's schema types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sm_entities').addColumn('created_by', 'text').execute();
  await db.schema.alterTable('sm_entities').addColumn('modified_by', 'text').execute();
  // Bumped by every update: an update that read an older revision is a ConflictException.
  await db.schema
    .alterTable('sm_entities')
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('sm_lineage_groups').addColumn('created_by', 'text').execute();
  await db.schema.alterTable('associations').addColumn('created_by', 'text').execute();

  // Keyset pages: the sort key followed by a unique tie-breaker, filters first.
  await db.schema.dropIndex('sm_entities_kind_created').execute();
  await db.schema
    .createIndex('sm_entities_kind_created_arn')
    .on('sm_entities')
    .columns(['kind', 'created_ms', 'arn'])
    .execute();
  await db.schema
    .createIndex('sm_entities_kind_type_created_arn')
    .on('sm_entities')
    .columns(['kind', 'type', 'created_ms', 'arn'])
    .execute();
  await db.schema
    .createIndex('sm_entities_source_uri')
    .on('sm_entities')
    .columns(['source_uri'])
    .execute();
  // Versions and runs appear as artifacts and actions, ordered by creation.
  await db.schema
    .createIndex('versions_created_id')
    .on('versions')
    .columns(['created_at', 'id'])
    .execute();
  await db.schema.createIndex('runs_created_id').on('runs').columns(['created_at', 'id']).execute();
  await db.schema
    .createIndex('associations_created_pair')
    .on('associations')
    .columns(['created_at', 'source_arn', 'dest_arn'])
    .execute();
  await db.schema
    .createIndex('associations_dest_source')
    .on('associations')
    .columns(['dest_arn', 'source_arn'])
    .execute();
}
