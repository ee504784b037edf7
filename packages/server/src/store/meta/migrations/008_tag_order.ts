import type { Kysely } from 'kysely';

/** SageMaker tags list in the order they were added; an explicit column works on every dialect. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('sm_tags')
    .addColumn('position', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}
