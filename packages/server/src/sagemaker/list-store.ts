import { sql, type RawBuilder } from 'kysely';
import { isPostgres } from '../store/meta/dialect.js';
import type { CreatedRange, PageRequest } from './paging.js';
import type {
  AssociationRow,
  EntityKind,
  EntityRow,
  RunRow,
  SageMakerDb,
  VersionRow,
} from './store.js';

/** Where a `cairn://` SourceUri filter points, or `none` when it cannot name such a row. */
export type VersionSource = { entity: string; project: string; collection: string; idx: number };
export type RunSource = { entity: string; project: string; id: string };

export interface EntityFilter {
  type?: string;
  sourceUri?: string;
  created: CreatedRange;
}

export type AssociationSort =
  'CreationTime' | 'SourceArn' | 'DestinationArn' | 'SourceType' | 'DestinationType';

export interface AssociationFilter {
  source?: string;
  dest?: string;
  type?: string;
  sourceType?: string;
  destType?: string;
  created: CreatedRange;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * One keyset page per query: `WHERE (sort…, tie-breaker) > (token…) ORDER BY … LIMIT n`, every
 * filter in the WHERE clause, so a page costs an index range scan whatever the table size. Row
 * values work on SQLite and PostgreSQL.
 */
/** Live artifact versions logged through the native API, as the SageMaker face shows them. */
export function liveVersionRows(db: SageMakerDb) {
  return db
    .selectFrom('versions as v')
    .innerJoin('collections as c', 'c.id', 'v.collection_id')
    .innerJoin('projects as p', 'p.id', 'c.project_id')
    .innerJoin('entities as e', 'e.id', 'p.entity_id')
    .select([
      'v.id as id',
      'v.idx as idx',
      'v.digest as digest',
      'v.created_at as created_at',
      'v.updated_at as updated_at',
      'c.name as collection',
      'c.type as type',
      'p.path as project',
      'e.name as entity',
    ])
    .where('v.state', '!=', 'DELETED');
}

export class ListStore {
  private readonly pg: boolean;

  constructor(private readonly db: SageMakerDb) {
    this.pg = isPostgres(db);
  }

  /**
   * A column as a sort key. ISO timestamps and hex ids order the same under any collation, and
   * a single-source list only needs the database to agree with itself; entity ARNs and names
   * (which may hold `-` and `_`) are merged with version and run ids in JavaScript, so on
   * PostgreSQL they compare with `COLLATE "C"` (code-point order, as the merge does) whatever
   * the database's locale.
   */
  private col(ref: string, codePoint = false): RawBuilder<unknown> {
    return this.pg && codePoint ? sql`${sql.ref(ref)} collate "C"` : sql`${sql.ref(ref)}`;
  }

  private after(cols: RawBuilder<unknown>[], values: unknown[], descending: boolean) {
    return sql<boolean>`(${sql.join(cols)}) ${sql.raw(descending ? '<' : '>')} (${sql.join(values)})`;
  }

  private order(descending: boolean): 'asc' | 'desc' {
    return descending ? 'desc' : 'asc';
  }

  /**
   * Entities created here, by creation (key `[created_ms, ARN after prefix]`) or by name (key
   * `[name]`; names are unique within a kind).
   */
  async entities(
    kind: EntityKind,
    filter: EntityFilter,
    by: 'created' | 'name',
    arnPrefix: string,
    p: PageRequest,
  ): Promise<EntityRow[]> {
    let q = this.db.selectFrom('sm_entities').selectAll().where('kind', '=', kind);
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    if (filter.sourceUri !== undefined) q = q.where('source_uri', '=', filter.sourceUri);
    // Whole milliseconds: the column is an integer, and PostgreSQL refuses `1.5` for a bigint.
    if (filter.created.fromMs !== undefined) {
      q = q.where('created_ms', '>=', Math.ceil(filter.created.fromMs));
    }
    if (filter.created.toMs !== undefined) {
      q = q.where('created_ms', '<=', Math.floor(filter.created.toMs));
    }
    const dir = this.order(p.descending);
    if (by === 'created') {
      if (p.after) {
        q = q.where(
          this.after(
            [this.col('created_ms'), this.col('arn', true)],
            [p.after[0], `${arnPrefix}${String(p.after[1])}`],
            p.descending,
          ),
        );
      }
      q = q.orderBy('created_ms', dir).orderBy(this.col('arn', true), dir);
    } else {
      if (p.after) {
        q = q.where(
          this.after([this.col('name_key', true)], [`${kind}:${String(p.after[0])}`], p.descending),
        );
      }
      q = q.orderBy(this.col('name_key', true), dir);
    }
    return q.limit(p.limit).execute();
  }

  /** Artifact versions logged through the native API, by creation: key `[created ms, id]`. */
  async versions(
    filter: { type?: string; source?: VersionSource | 'none'; created: CreatedRange },
    p: PageRequest,
  ): Promise<VersionRow[]> {
    if (filter.source === 'none') return [];
    let q = liveVersionRows(this.db);
    if (filter.type !== undefined) q = q.where('c.type', '=', filter.type);
    if (filter.source) {
      q = q
        .where('e.name', '=', filter.source.entity)
        .where('p.path', '=', filter.source.project)
        .where('c.name', '=', filter.source.collection)
        .where('v.idx', '=', filter.source.idx);
    }
    // created_at is ISO-8601 with milliseconds (toISOString), so text order is time order.
    if (filter.created.fromMs !== undefined) {
      q = q.where('v.created_at', '>=', iso(Math.ceil(filter.created.fromMs)));
    }
    if (filter.created.toMs !== undefined) {
      q = q.where('v.created_at', '<=', iso(Math.floor(filter.created.toMs)));
    }
    if (p.after) {
      q = q.where(
        this.after(
          [this.col('v.created_at'), this.col('v.id')],
          [iso(Number(p.after[0])), String(p.after[1])],
          p.descending,
        ),
      );
    }
    const dir = this.order(p.descending);
    return q
      .orderBy(this.col('v.created_at'), dir)
      .orderBy(this.col('v.id'), dir)
      .limit(p.limit)
      .execute();
  }

  /** Runs logged through the SDK, by creation (key `[created ms, id]`) or name (key `[id]`). */
  async runs(
    filter: { type?: string; source?: RunSource | 'none'; created: CreatedRange },
    by: 'created' | 'name',
    p: PageRequest,
  ): Promise<RunRow[]> {
    if (filter.source === 'none') return [];
    let q = this.db.selectFrom('runs').selectAll();
    const type = filter.type;
    if (type !== undefined) {
      // A run without a job type shows as type `run`.
      q =
        type === 'run'
          ? q.where((eb) => eb.or([eb('job_type', '=', type), eb('job_type', 'is', null)]))
          : q.where('job_type', '=', type);
    }
    if (filter.source) {
      q = q
        .where('entity', '=', filter.source.entity)
        .where('project', '=', filter.source.project)
        .where('id', '=', filter.source.id);
    }
    if (filter.created.fromMs !== undefined) {
      q = q.where('created_at', '>=', iso(Math.ceil(filter.created.fromMs)));
    }
    if (filter.created.toMs !== undefined) {
      q = q.where('created_at', '<=', iso(Math.floor(filter.created.toMs)));
    }
    const dir = this.order(p.descending);
    if (by === 'created') {
      if (p.after) {
        q = q.where(
          this.after(
            [this.col('created_at'), this.col('id')],
            [iso(Number(p.after[0])), String(p.after[1])],
            p.descending,
          ),
        );
      }
      q = q.orderBy(this.col('created_at'), dir).orderBy(this.col('id'), dir);
    } else {
      if (p.after) q = q.where(this.after([this.col('id')], [String(p.after[0])], p.descending));
      q = q.orderBy(this.col('id'), dir);
    }
    return q.limit(p.limit).execute();
  }

  /**
   * Associations; the types of both ends are columns (migration 012), so every filter and sort
   * is an indexed keyset query. Keys: the sort column, then (source, destination), unique.
   */
  async associations(
    filter: AssociationFilter,
    sortBy: AssociationSort,
    p: PageRequest,
  ): Promise<AssociationRow[]> {
    let q = this.db.selectFrom('associations as a').selectAll();
    if (filter.source !== undefined) q = q.where('a.source_arn', '=', filter.source);
    if (filter.dest !== undefined) q = q.where('a.dest_arn', '=', filter.dest);
    if (filter.type !== undefined) q = q.where('a.type', '=', filter.type);
    if (filter.sourceType !== undefined) q = q.where('a.source_type', '=', filter.sourceType);
    if (filter.destType !== undefined) q = q.where('a.dest_type', '=', filter.destType);
    if (filter.created.fromMs !== undefined) {
      q = q.where('a.created_at', '>=', iso(Math.ceil(filter.created.fromMs)));
    }
    if (filter.created.toMs !== undefined) {
      q = q.where('a.created_at', '<=', iso(Math.floor(filter.created.toMs)));
    }
    const lead: Record<AssociationSort, RawBuilder<unknown>[]> = {
      CreationTime: [this.col('a.created_at'), this.col('a.source_arn'), this.col('a.dest_arn')],
      SourceArn: [this.col('a.source_arn'), this.col('a.dest_arn')],
      DestinationArn: [this.col('a.dest_arn'), this.col('a.source_arn')],
      SourceType: [this.col('a.source_type'), this.col('a.source_arn'), this.col('a.dest_arn')],
      DestinationType: [this.col('a.dest_type'), this.col('a.source_arn'), this.col('a.dest_arn')],
    };
    const cols = lead[sortBy];
    if (p.after) q = q.where(this.after(cols, p.after, p.descending));
    const dir = this.order(p.descending);
    for (const c of cols) q = q.orderBy(c, dir);
    return q.limit(p.limit).execute();
  }
}

/** The key of an association row in the given sort. */
export function associationKey(r: AssociationRow, sortBy: AssociationSort): string[] {
  switch (sortBy) {
    case 'CreationTime':
      return [r.created_at, r.source_arn, r.dest_arn];
    case 'SourceArn':
      return [r.source_arn, r.dest_arn];
    case 'DestinationArn':
      return [r.dest_arn, r.source_arn];
    case 'SourceType':
      return [r.source_type ?? '', r.source_arn, r.dest_arn];
    case 'DestinationType':
      return [r.dest_type ?? '', r.source_arn, r.dest_arn];
  }
}
