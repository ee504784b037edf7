import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

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
  await associationTypes(db);

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
  // Replaces 003's index on created_at alone (a prefix of this one): one index less to update.
  await db.schema.dropIndex('associations_created').execute();
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

/**
 * The type of each end of an association (an entity created through the SageMaker face, an
 * artifact version's collection type, a run's job type; '' when unknown), stored on the row so
 * ListAssociations filters and sorts by SourceType/DestinationType with an index instead of
 * deriving them for every association. Types never change once an entity exists, so storing
 * them is exact. A trigger fills them for every insert, whoever makes it (the SageMaker face
 * passes them itself; the native API's lineage does not know about them); rows that exist
 * already are filled here once.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function associationTypes(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('associations').addColumn('source_type', 'text').execute();
  await db.schema.alterTable('associations').addColumn('dest_type', 'text').execute();
  const pg = isPostgres(db);
  // Versions and runs are found by the id after `:artifact/` / `:action/`, whatever the region.
  const pos = (arn: string, marker: string) =>
    pg ? `strpos(${arn}, '${marker}')` : `instr(${arn}, '${marker}')`;
  const typeOf = (arn: string) => `coalesce(
    (select se.type from sm_entities se where se.arn = ${arn}),
    (select c.type from versions v join collections c on c.id = v.collection_id
      where ${arn} like 'arn:aws%:sagemaker:%:artifact/%'
        and v.id = substr(${arn}, ${pos(arn, ':artifact/')} + 10)),
    (select coalesce(r.job_type, 'run') from runs r
      where ${arn} like 'arn:aws%:sagemaker:%:action/%'
        and r.id = substr(${arn}, ${pos(arn, ':action/')} + 8)),
    '')`;
  await sql
    .raw(
      `update associations set source_type = ${typeOf('source_arn')}, dest_type = ${typeOf('dest_arn')}`,
    )
    .execute(db);
  if (pg) {
    await sql
      .raw(
        `create function sm_association_types() returns trigger language plpgsql as $$
        begin
          if new.source_type is null then new.source_type := ${typeOf('new.source_arn')}; end if;
          if new.dest_type is null then new.dest_type := ${typeOf('new.dest_arn')}; end if;
          return new;
        end $$`,
      )
      .execute(db);
    await sql
      .raw(
        'create trigger associations_types before insert on associations for each row execute function sm_association_types()',
      )
      .execute(db);
  } else {
    // SQLite's BEFORE triggers cannot change NEW: fill the row right after it is inserted.
    await sql
      .raw(
        `create trigger associations_types after insert on associations
        when new.source_type is null or new.dest_type is null
        begin
          update associations set
            source_type = coalesce(new.source_type, ${typeOf('new.source_arn')}),
            dest_type = coalesce(new.dest_type, ${typeOf('new.dest_arn')})
          where source_arn = new.source_arn and dest_arn = new.dest_arn;
        end`,
      )
      .execute(db);
  }
  await db.schema
    .createIndex('associations_source_type')
    .on('associations')
    .columns(['source_type', 'source_arn', 'dest_arn'])
    .execute();
  await db.schema
    .createIndex('associations_dest_type')
    .on('associations')
    .columns(['dest_type', 'source_arn', 'dest_arn'])
    .execute();
  // The backfill changed every row: without fresh statistics PostgreSQL's planner believes the
  // new columns are nearly empty and sorts every match instead of walking the creation index.
  if (pg) await sql`analyze associations`.execute(db);
}
