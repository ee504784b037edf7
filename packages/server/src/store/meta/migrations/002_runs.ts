import type { Kysely } from 'kysely';

// Migrations see the database as it was when they were written, not today's schema types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Runs (W&B runs; SageMaker actions in the lineage graph). Their edges to artifact versions
  // live in `associations` (migration 001), keyed by ARN, shared with the SageMaker face.
  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('job_type', 'text')
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  // Finding running runs whose heartbeat is stale (crash detection).
  await db.schema
    .createIndex('runs_state_heartbeat')
    .on('runs')
    .columns(['state', 'heartbeat_at'])
    .execute();
  await db.schema
    .createIndex('runs_entity_project')
    .on('runs')
    .columns(['entity', 'project', 'created_at'])
    .execute();
}
