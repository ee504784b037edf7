import { sql, type Kysely } from 'kysely';
import { codePointText, idColumn, idType } from '../dialect.js';

// Migrations see the database as it was when they were written, not today's schema types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('entities')
    .addColumn('id', idType(db), idColumn(db))
    .addColumn('name', 'text', (c) => codePointText(db)(c.notNull().unique()))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('projects')
    .addColumn('id', idType(db), idColumn(db))
    .addColumn('entity_id', 'integer', (c) => c.notNull().references('entities.id'))
    .addColumn('path', 'text', (c) => codePointText(db)(c.notNull()))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('projects_entity_path', ['entity_id', 'path'])
    .execute();
  await db.schema
    .createTable('collections')
    .addColumn('id', idType(db), idColumn(db))
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => codePointText(db)(c.notNull()))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('collections_project_name', ['project_id', 'name'])
    .execute();
  await db.schema
    .createTable('versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('collection_id', 'integer', (c) => c.notNull().references('collections.id'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('file_count', 'integer', (c) => c.notNull())
    .addColumn('commit_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('versions_collection_idx', ['collection_id', 'idx'])
    .execute();
  await db.schema
    .createIndex('versions_collection_digest')
    .on('versions')
    .columns(['collection_id', 'digest'])
    .execute();
  await db.schema
    .createTable('aliases')
    .addColumn('collection_id', 'integer', (c) => c.notNull().references('collections.id'))
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version_id', 'text', (c) => c.notNull().references('versions.id'))
    .addPrimaryKeyConstraint('aliases_pk', ['collection_id', 'alias'])
    .execute();
  await db.schema.createIndex('aliases_version').on('aliases').column('version_id').execute();
  await db.schema
    .createTable('tags')
    .addColumn('version_id', 'text', (c) => c.notNull().references('versions.id'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pk', ['version_id', 'tag'])
    .execute();
  await db.schema
    .createTable('entries')
    .addColumn('version_id', 'text', (c) => c.notNull().references('versions.id'))
    .addColumn('path', 'text', (c) => codePointText(db)(c.notNull()))
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text')
    .addColumn('ref', 'text')
    .addColumn('birth_artifact_id', 'text')
    .addColumn('extra', 'text')
    .addPrimaryKeyConstraint('entries_pk', ['version_id', 'path'])
    .execute();
  await db.schema.createIndex('entries_sha256').on('entries').column('sha256').execute();
  await db.schema
    .createTable('packs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('blobs')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('md5', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('pack_id', 'text', (c) => c.references('packs.id'))
    .addColumn('offset', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('collection', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('upload_blobs')
    .addColumn('upload_id', 'text', (c) => c.notNull().references('uploads.id').onDelete('cascade'))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('upload_blobs_pk', ['upload_id', 'sha256'])
    .execute();
  await db.schema
    .createTable('associations')
    .addColumn('source_arn', 'text', (c) => c.notNull())
    .addColumn('dest_arn', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('associations_pk', ['source_arn', 'dest_arn'])
    .execute();
  await db.schema.createIndex('associations_dest').on('associations').column('dest_arn').execute();
  await sql`select 1`.execute(db);
}
