import { sql, type Kysely, type Selectable } from 'kysely';
import type { LineageArtifact, RunState } from '@cairn/core';
import type {
  EdgeRecord,
  HistoryRecord,
  LineageStore,
  RunPatch,
  RunRecord,
  WalkDirection,
  WalkResult,
} from './lineage-store.js';
import { isPostgres } from './dialect.js';
import type { RunTables } from './run-schema.js';
import { codePointOrder } from './dialect.js';
import type { Database } from './schema.js';

export type LineageDb = Kysely<Database & RunTables>;

// SQLite caps bound parameters per statement; stay well below it on every dialect.
const CHUNK = 400;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const RUN_STATES: readonly string[] = ['running', 'finished', 'failed', 'crashed'];

function toRun(r: Selectable<RunTables['runs']>): RunRecord {
  return {
    id: r.id,
    entity: r.entity,
    project: r.project,
    name: r.name,
    jobType: r.job_type,
    config: JSON.parse(r.config) as Record<string, unknown>,
    state: (RUN_STATES.includes(r.state) ? r.state : 'crashed') as RunState,
    exitCode: r.exit_code === null ? null : Number(r.exit_code),
    step: Number(r.step),
    heartbeatAt: r.heartbeat_at,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

function toEdge(r: { source_arn: string; dest_arn: string; type: string; created_at: string }) {
  return { source: r.source_arn, dest: r.dest_arn, type: r.type, createdAt: r.created_at };
}

function edgeRow(e: EdgeRecord) {
  return { source_arn: e.source, dest_arn: e.dest, type: e.type, created_at: e.createdAt };
}

interface WalkRow {
  row_kind: 'node' | 'rows' | 'edge';
  a: string;
  b: string | null;
  type: string | null;
  created_at: string | null;
  depth: number;
}

/** LineageStore on Kysely (SQLite by default; the SQL is portable to PostgreSQL). */
export class KyselyLineageStore implements LineageStore {
  private readonly db: LineageDb;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<RunTables>();
  }

  async insertRun(run: RunRecord, edges: EdgeRecord[] = []): Promise<void> {
    const insert = async (db: LineageDb): Promise<void> => {
      await db
        .insertInto('runs')
        .values({
          id: run.id,
          entity: run.entity,
          project: run.project,
          name: run.name,
          job_type: run.jobType,
          config: JSON.stringify(run.config),
          state: run.state,
          exit_code: run.exitCode,
          step: run.step,
          heartbeat_at: run.heartbeatAt,
          created_at: run.createdAt,
          finished_at: run.finishedAt,
        })
        .execute();
      for (const part of chunks(edges)) {
        await db.insertInto('associations').values(part.map(edgeRow)).execute();
      }
    };
    if (edges.length === 0) await insert(this.db);
    else await this.db.transaction().execute(insert);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const r = await this.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRun(r);
  }

  async getRuns(ids: string[]): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    for (const part of chunks([...new Set(ids)])) {
      const rows = await this.db.selectFrom('runs').selectAll().where('id', 'in', part).execute();
      out.push(...rows.map(toRun));
    }
    return out;
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    const set: Partial<RunTables['runs']> = {};
    if (patch.state !== undefined) set.state = patch.state;
    if (patch.exitCode !== undefined) set.exit_code = patch.exitCode;
    if (patch.step !== undefined) set.step = patch.step;
    if (patch.heartbeatAt !== undefined) set.heartbeat_at = patch.heartbeatAt;
    if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt;
    if (Object.keys(set).length === 0) return;
    await this.db.updateTable('runs').set(set).where('id', '=', id).execute();
  }

  async markCrashed(cutoff: string, ids?: string[]): Promise<number> {
    const mark = async (part?: string[]): Promise<number> => {
      let q = this.db
        .updateTable('runs')
        .set({ state: 'crashed', finished_at: sql<string>`heartbeat_at` })
        .where('state', '=', 'running')
        .where('heartbeat_at', '<', cutoff);
      if (part) q = q.where('id', 'in', part);
      const r = await q.executeTakeFirst();
      return Number(r.numUpdatedRows);
    };
    if (ids === undefined) return mark();
    let n = 0;
    for (const part of chunks(ids)) n += await mark(part);
    return n;
  }

  async insertEdge(edge: EdgeRecord): Promise<EdgeRecord> {
    await this.db
      .insertInto('associations')
      .values(edgeRow(edge))
      .onConflict((oc) => oc.columns(['source_arn', 'dest_arn']).doNothing())
      .execute();
    const stored = await this.db
      .selectFrom('associations')
      .selectAll()
      .where('source_arn', '=', edge.source)
      .where('dest_arn', '=', edge.dest)
      .executeTakeFirstOrThrow();
    return toEdge(stored);
  }

  async edgesInto(dest: string, type: string): Promise<EdgeRecord[]> {
    const rows = await this.db
      .selectFrom('associations')
      .selectAll()
      .where('dest_arn', '=', dest)
      .where('type', '=', type)
      .orderBy('created_at')
      .orderBy(codePointOrder(this.db, 'source_arn'))
      .execute();
    return rows.map(toEdge);
  }

  async edgesOutOf(source: string, type: string): Promise<EdgeRecord[]> {
    const rows = await this.db
      .selectFrom('associations')
      .selectAll()
      .where('source_arn', '=', source)
      .where('type', '=', type)
      .orderBy('created_at')
      .orderBy(codePointOrder(this.db, 'dest_arn'))
      .execute();
    return rows.map(toEdge);
  }

  async hasEdges(arn: string): Promise<boolean> {
    const out = await this.db
      .selectFrom('associations')
      .select('source_arn')
      .where('source_arn', '=', arn)
      .limit(1)
      .executeTakeFirst();
    if (out) return true;
    const into = await this.db
      .selectFrom('associations')
      .select('dest_arn')
      .where('dest_arn', '=', arn)
      .limit(1)
      .executeTakeFirst();
    return into !== undefined;
  }

  /**
   * `walk` carries (node, depth, direction); UNION drops repeated rows, so a cycle adds at most
   * one row per node and depth and the depth bound ends the recursion. The walk is breadth
   * first on both dialects (SQLite's queue, PostgreSQL's working table), and it stops after
   * `rowCap` rows: SQLite through a LIMIT on the recursive select, PostgreSQL by reading only
   * that many rows of it (its recursive CTEs run only as far as they are read). So the work is
   * bounded by the node limit, not by the graph. `nodes` keeps each node's smallest depth, the
   * nearest `nodeLimit + 1` of them (one more tells a cut answer); `edges` are those between
   * kept nodes (the induced subgraph).
   */
  async walk(
    root: string,
    directions: WalkDirection[],
    depth: number,
    nodeLimit: number,
  ): Promise<WalkResult> {
    // Room for nodes met again at a larger depth, or in the other direction.
    const rowCap = nodeLimit * 2 * directions.length + 1;
    const seeds = sql.join(
      directions.map((d) => sql`select ${root} as arn, 0 as depth, ${d} as dir`),
      sql` union `,
    );
    const pg = isPostgres(this.db);
    // One direction joins on one index; both need the OR (each row then searches two).
    const [only] = directions;
    const step =
      directions.length > 1
        ? sql`select case when w.dir = 'u' then a.source_arn else a.dest_arn end, w.depth + 1, w.dir
          from walk w join associations a
            on (w.dir = 'u' and a.dest_arn = w.arn) or (w.dir = 'd' and a.source_arn = w.arn)`
        : only === 'u'
          ? sql`select a.source_arn, w.depth + 1, w.dir
            from walk w join associations a on a.dest_arn = w.arn`
          : sql`select a.dest_arn, w.depth + 1, w.dir
            from walk w join associations a on a.source_arn = w.arn`;
    const { rows } = await sql<WalkRow>`
      with recursive walk(arn, depth, dir) as (
        ${seeds}
        union
        ${step}
        where w.depth < ${depth}
        ${pg ? sql`` : sql`limit ${rowCap}`}
      ),
      capped as materialized (select arn, depth from walk limit ${rowCap}),
      nodes as materialized (
        select arn, min(depth) as depth from capped group by arn
        order by min(depth) limit ${nodeLimit + 1}
      )
      select 'node' as row_kind, arn as a, null as b, null as type, null as created_at, depth
      from nodes
      union all
      select 'rows', '', null, null, null, count(*) from capped
      union all
      select 'edge', a.source_arn, a.dest_arn, a.type, a.created_at, 0
      from associations a
      where a.source_arn in (select arn from nodes)
    `.execute(this.db);
    let nodes: WalkResult['nodes'] = [];
    let walkedRows = 0;
    const edges: EdgeRecord[] = [];
    for (const r of rows) {
      if (r.row_kind === 'node') nodes.push({ arn: r.a, depth: Number(r.depth) });
      else if (r.row_kind === 'rows') walkedRows = Number(r.depth);
      else if (r.b !== null) {
        edges.push({ source: r.a, dest: r.b, type: r.type ?? '', createdAt: r.created_at ?? '' });
      }
    }
    nodes.sort((x, y) => x.depth - y.depth || (x.arn < y.arn ? -1 : x.arn > y.arn ? 1 : 0));
    // The cap reached: more nodes may lie within the depth. Keep the nearest ones.
    const truncated = walkedRows >= rowCap || nodes.length > nodeLimit;
    if (nodes.length > nodeLimit) nodes = nodes.slice(0, nodeLimit);
    // Edges leave kept nodes: written as IN, so the planner looks each node up in the index
    // (as a join it may scan every edge and probe the unindexed CTE). Those whose other end
    // was kept stay.
    const kept = new Set(nodes.map((n) => n.arn));
    const inside = edges.filter((e) => kept.has(e.dest) && kept.has(e.source));
    return { nodes, edges: inside, truncated };
  }

  async versionNodes(ids: string[]): Promise<LineageArtifact[]> {
    const out: LineageArtifact[] = [];
    for (const part of chunks([...new Set(ids)])) {
      const rows = await this.db
        .selectFrom('versions as v')
        .innerJoin('collections as c', 'c.id', 'v.collection_id')
        .innerJoin('projects as p', 'p.id', 'c.project_id')
        .innerJoin('entities as e', 'e.id', 'p.entity_id')
        .select([
          'v.id as id',
          'v.idx as idx',
          'v.digest as digest',
          'v.state as state',
          'c.name as collection',
          'c.type as type',
          'p.path as project',
          'e.name as entity',
        ])
        .where('v.id', 'in', part)
        .execute();
      for (const r of rows) {
        out.push({
          id: r.id,
          entity: r.entity,
          project: r.project,
          collection: r.collection,
          type: r.type,
          index: Number(r.idx),
          digest: r.digest,
          state: r.state === 'DELETED' ? 'DELETED' : 'COMMITTED',
          ref: `${r.entity}/${r.project}/${r.collection}:v${r.idx}`,
        });
      }
    }
    return out;
  }

  async isLiveVersion(id: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('versions')
      .select('id')
      .where('id', '=', id)
      .where('state', '=', 'COMMITTED')
      .executeTakeFirst();
    return r !== undefined;
  }

  async insertHistory(runId: string, row: HistoryRecord): Promise<boolean> {
    const r = await this.db
      .insertInto('run_history')
      .values({
        run_id: runId,
        step: row.step,
        data: JSON.stringify(row.data),
        created_at: row.createdAt,
      })
      .onConflict((oc) => oc.columns(['run_id', 'step']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async history(
    runId: string,
    afterStep: number | undefined,
    limit: number,
  ): Promise<HistoryRecord[]> {
    let q = this.db.selectFrom('run_history').selectAll().where('run_id', '=', runId);
    if (afterStep !== undefined) q = q.where('step', '>', afterStep);
    const rows = await q.orderBy('step').limit(limit).execute();
    return rows.map((r) => ({
      step: Number(r.step),
      data: JSON.parse(r.data) as Record<string, unknown>,
      createdAt: r.created_at,
    }));
  }

  async lastHistoryStep(runId: string): Promise<number | null> {
    const r = await this.db
      .selectFrom('run_history')
      .select((eb) => eb.fn.max('step').as('step'))
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return r?.step === null || r?.step === undefined ? null : Number(r.step);
  }

  async setHistoryStepIfUnset(versionId: string, step: number): Promise<void> {
    await this.db
      .updateTable('versions')
      .set({ history_step: step })
      .where('id', '=', versionId)
      .where('history_step', 'is', null)
      .execute();
  }

  async linkFamily(versionId: string): Promise<string[]> {
    const v = await this.db
      .selectFrom('versions')
      .select(['id', 'source_version_id'])
      .where('id', '=', versionId)
      .executeTakeFirst();
    if (!v) return [];
    const source = v.source_version_id ?? v.id;
    const links = await this.db
      .selectFrom('versions')
      .select('id')
      .where('source_version_id', '=', source)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return [source, ...links.map((l) => l.id)];
  }
}
