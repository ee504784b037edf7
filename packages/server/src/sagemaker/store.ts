import {
  CompiledQuery,
  sql,
  type Generated,
  type Insertable,
  type Kysely,
  type Selectable,
} from 'kysely';
import type { Database } from '../store/meta/schema.js';
import type { RunTables } from '../store/meta/run-schema.js';
import { ListStore, liveVersionRows } from './list-store.js';

/** Tables of migration 003; `associations` is shared with the SDK's lineage (migration 001). */
export interface SageMakerTables {
  sm_entities: {
    arn: string;
    kind: EntityKind;
    name: string | null;
    name_key: string | null;
    source_key: string | null;
    type: string;
    source: string;
    source_uri: string;
    description: string | null;
    status: string | null;
    properties: string;
    metadata_properties: string | null;
    created_ms: number;
    updated_ms: number;
    /** Access key id that signed the create / the last update (migration 012); NULL unsigned. */
    created_by: string | null;
    modified_by: string | null;
    revision: Generated<number>;
  };
  sm_tags: { resource_arn: string; key: string; value: string; position: Generated<number> };
  sm_lineage_groups: {
    name: string;
    display_name: string | null;
    description: string | null;
    created_ms: number;
    created_by: string | null;
  };
  /**
   * The shared table of migration 001 plus migration 012's creator and the types of both ends
   * ('' when unknown; a trigger fills them on inserts that leave them out).
   */
  associations: Database['associations'] & {
    created_by: string | null;
    source_type: string | null;
    dest_type: string | null;
  };
}

export type SageMakerDb = Kysely<Omit<Database, 'associations'> & SageMakerTables & RunTables>;
/** A run logged through the SDK; the SageMaker face shows it as an action. */
export type RunRow = Selectable<RunTables['runs']>;
export type EntityKind = 'artifact' | 'context' | 'action';
export type EntityRow = Selectable<SageMakerTables['sm_entities']>;
export type AssociationRow = Selectable<SageMakerTables['associations']>;

/** An artifact version logged through the native API, with the names it lives under. */
export interface VersionRow {
  id: string;
  idx: number;
  digest: string;
  created_at: string;
  updated_at: string;
  collection: string;
  type: string;
  project: string;
  entity: string;
}

const CHUNK = 400;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === '23505'
  );
}

/** Plain SQL over Kysely for the SageMaker face; no rules here, only reads and writes. */
export class SageMakerStore {
  readonly lists: ListStore;

  constructor(private readonly db: SageMakerDb) {
    this.lists = new ListStore(db);
  }

  transaction<T>(fn: (store: SageMakerStore) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new SageMakerStore(trx)));
  }

  // --- entities ----------------------------------------------------------------------------

  async insertEntity(row: Insertable<SageMakerTables['sm_entities']>): Promise<void> {
    await this.db.insertInto('sm_entities').values(row).execute();
  }

  async entity(arn: string): Promise<EntityRow | undefined> {
    return this.db.selectFrom('sm_entities').selectAll().where('arn', '=', arn).executeTakeFirst();
  }

  async entityByName(kind: EntityKind, name: string): Promise<EntityRow | undefined> {
    return this.db
      .selectFrom('sm_entities')
      .selectAll()
      .where('name_key', '=', `${kind}:${name}`)
      .executeTakeFirst();
  }

  async entityBySource(sourceKey: string): Promise<EntityRow | undefined> {
    return this.db
      .selectFrom('sm_entities')
      .selectAll()
      .where('source_key', '=', sourceKey)
      .executeTakeFirst();
  }

  /** The SQL of a one-ARN lookup, compiled once per store: the Describe* hot path. */
  private byArnSql: string | undefined;

  async entities(arns: string[]): Promise<EntityRow[]> {
    const [only] = arns;
    if (arns.length === 1 && only !== undefined) {
      this.byArnSql ??= this.db
        .selectFrom('sm_entities')
        .selectAll()
        .where('arn', '=', only)
        .compile().sql;
      const r = await this.db.executeQuery<EntityRow>(CompiledQuery.raw(this.byArnSql, [only]));
      return r.rows;
    }
    const out: EntityRow[] = [];
    for (const part of chunks(arns)) {
      out.push(
        ...(await this.db.selectFrom('sm_entities').selectAll().where('arn', 'in', part).execute()),
      );
    }
    return out;
  }

  async countEntities(kind: EntityKind): Promise<number> {
    const r = await this.db
      .selectFrom('sm_entities')
      .select(sql<number>`count(*)`.as('n'))
      .where('kind', '=', kind)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Applies an update computed from the entity as read at `revision`; false when another update
   * landed in between (the caller answers ConflictException instead of losing that update).
   */
  async updateEntity(
    arn: string,
    revision: number,
    set: Partial<
      Pick<
        EntityRow,
        'name' | 'description' | 'status' | 'properties' | 'updated_ms' | 'modified_by'
      >
    >,
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('sm_entities')
      .set({ ...set, revision: sql<number>`revision + 1` })
      .where('arn', '=', arn)
      .where('revision', '=', revision)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Deletes the entity with its tags and every association that names it. */
  async deleteEntity(arn: string): Promise<void> {
    await this.db.deleteFrom('sm_entities').where('arn', '=', arn).execute();
    await this.db.deleteFrom('sm_tags').where('resource_arn', '=', arn).execute();
    await this.db
      .deleteFrom('associations')
      .where((eb) => eb.or([eb('source_arn', '=', arn), eb('dest_arn', '=', arn)]))
      .execute();
  }

  // --- versions logged through the native API (read-only here) ------------------------------

  async versions(ids: string[]): Promise<VersionRow[]> {
    const out: VersionRow[] = [];
    for (const part of chunks(ids)) {
      out.push(...(await liveVersionRows(this.db).where('v.id', 'in', part).execute()));
    }
    return out;
  }

  async runs(ids: string[]): Promise<RunRow[]> {
    const out: RunRow[] = [];
    for (const part of chunks(ids)) {
      out.push(...(await this.db.selectFrom('runs').selectAll().where('id', 'in', part).execute()));
    }
    return out;
  }

  // --- associations (shared with the SDK's lineage) -----------------------------------------

  async insertAssociation(row: AssociationRow): Promise<void> {
    await this.db.insertInto('associations').values(row).execute();
  }

  async association(source: string, dest: string): Promise<AssociationRow | undefined> {
    return this.db
      .selectFrom('associations')
      .selectAll()
      .where('source_arn', '=', source)
      .where('dest_arn', '=', dest)
      .executeTakeFirst();
  }

  async deleteAssociation(source: string, dest: string): Promise<void> {
    await this.db
      .deleteFrom('associations')
      .where('source_arn', '=', source)
      .where('dest_arn', '=', dest)
      .execute();
  }

  async countAssociations(): Promise<number> {
    const r = await this.db
      .selectFrom('associations')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Edges leaving (`out`) or entering (`in`) any of the ARNs. */
  async edges(arns: string[], direction: 'out' | 'in'): Promise<AssociationRow[]> {
    const column = direction === 'out' ? 'source_arn' : 'dest_arn';
    const out: AssociationRow[] = [];
    for (const part of chunks(arns)) {
      out.push(
        ...(await this.db
          .selectFrom('associations')
          .selectAll()
          .where(column, 'in', part)
          .execute()),
      );
    }
    return out;
  }

  async hasAssociations(arn: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('associations')
      .select('source_arn')
      .where((eb) => eb.or([eb('source_arn', '=', arn), eb('dest_arn', '=', arn)]))
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  // --- tags ----------------------------------------------------------------------------------

  async tags(arn: string): Promise<{ key: string; value: string }[]> {
    return this.db
      .selectFrom('sm_tags')
      .select(['key', 'value'])
      .where('resource_arn', '=', arn)
      .orderBy('position')
      .orderBy('key')
      .execute();
  }

  async putTags(arn: string, tags: { key: string; value: string }[]): Promise<void> {
    const last = await this.db
      .selectFrom('sm_tags')
      .select((eb) => eb.fn.max('position').as('p'))
      .where('resource_arn', '=', arn)
      .executeTakeFirst();
    let position = Number(last?.p ?? 0);
    for (const t of tags) {
      position++;
      await this.db
        .insertInto('sm_tags')
        .values({ resource_arn: arn, key: t.key, value: t.value, position })
        .onConflict((oc) => oc.columns(['resource_arn', 'key']).doUpdateSet({ value: t.value }))
        .execute();
    }
  }

  async deleteTags(arn: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db
      .deleteFrom('sm_tags')
      .where('resource_arn', '=', arn)
      .where('key', 'in', keys)
      .execute();
  }

  // --- lineage groups ------------------------------------------------------------------------

  async ensureLineageGroup(
    name: string,
    createdMs: number,
    createdBy: string | null,
  ): Promise<void> {
    await this.db
      .insertInto('sm_lineage_groups')
      .values({
        name,
        display_name: null,
        description: null,
        created_ms: createdMs,
        created_by: createdBy,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }

  async lineageGroups(): Promise<Selectable<SageMakerTables['sm_lineage_groups']>[]> {
    return this.db.selectFrom('sm_lineage_groups').selectAll().execute();
  }
}
