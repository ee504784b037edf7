import type { Kysely } from 'kysely';

/**
 * Run history (W&B `run.log`): one row of metrics per run and step. A version remembers the
 * history step of the run that first logged it (W&B `artifact.historyStep`). A retired object
 * key records when a collection claimed it for deletion (docs/storage-invariants.md, rule 10).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('run_history')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_history_pk', ['run_id', 'step'])
    .execute();
  await db.schema.alterTable('versions').addColumn('history_step', 'integer').execute();
  await db.schema.alterTable('retired_objects').addColumn('deleting_since', 'text').execute();
}
