import type { Kysely } from 'kysely';

// Migrations see the database as it was when they were written, not today's schema types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Artifacts, contexts and actions created through the SageMaker face. Versions logged through
  // the native API stay in `versions` and are read from there; they are not copied here.
  await db.schema
    .createTable('sm_entities')
    .addColumn('arn', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    // Contexts and actions are unique by name, artifacts by their full Source: one key column
    // each, NULL where it does not apply (NULLs never collide in a unique index).
    .addColumn('name_key', 'text', (c) => c.unique())
    .addColumn('source_key', 'text', (c) => c.unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_uri', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('status', 'text')
    .addColumn('properties', 'text', (c) => c.notNull())
    .addColumn('metadata_properties', 'text')
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sm_entities_kind_created')
    .on('sm_entities')
    .columns(['kind', 'created_ms'])
    .execute();
  await db.schema
    .createTable('sm_tags')
    .addColumn('resource_arn', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sm_tags_pk', ['resource_arn', 'key'])
    .execute();
  await db.schema
    .createTable('sm_lineage_groups')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('display_name', 'text')
    .addColumn('description', 'text')
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('associations_created')
    .on('associations')
    .column('created_at')
    .execute();
}
