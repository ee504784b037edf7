import type { Kysely } from 'kysely';

/**
 * Time to live: a version's own policy (ttl_inherit = 0: ttl_ms milliseconds, or null = never)
 * or its project's default (ttl_inherit = 1), as W&B's artifact TTL and team default.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('versions').addColumn('ttl_ms', 'bigint').execute();
  await db.schema
    .alterTable('versions')
    .addColumn('ttl_inherit', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('projects').addColumn('default_ttl_ms', 'bigint').execute();
}
