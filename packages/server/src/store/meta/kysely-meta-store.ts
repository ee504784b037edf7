import type { Kysely, Selectable, Updateable } from 'kysely';
import { bulkInsert } from './bulk-insert.js';
import { selectIn } from './select-in.js';
import { unsyncedTransaction } from './unsynced-transaction.js';
import { codePointOrder, isPostgres } from './dialect.js';
import type { Database } from './schema.js';
import type { FolderQueries } from './folder-queries.js';
import { KyselyFolderQueries } from './kysely-folder-queries.js';
import type {
  BlobRecord,
  CollectionRecord,
  EntityListRow,
  EntityRow,
  EntryRecord,
  MetaStore,
  NewVersion,
  ProjectRow,
  TransactionOptions,
  UploadRecord,
  VersionRecord,
} from './meta-store.js';

// SQLite caps bound parameters per statement; stay well below it on every dialect.
const CHUNK = 500;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const MAX_ATTEMPTS = 5;

/** An upload's bookkeeping (pins, pack rows): redone by a retry if a power loss drops it. */
const UNSYNCED: TransactionOptions = { durable: false };

/**
 * Errors a concurrent transaction can cause, by driver code: SQLite (better-sqlite3) and
 * PostgreSQL (unique_violation, serialization_failure, deadlock_detected).
 */
export function isConcurrencyConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_BUSY' ||
    code === '23505' ||
    code === '40001' ||
    code === '40P01'
  );
}

function now(): string {
  return new Date().toISOString();
}

function toVersion(r: Selectable<Database['versions']>): VersionRecord {
  return {
    id: r.id,
    collectionId: Number(r.collection_id),
    idx: Number(r.idx),
    digest: r.digest,
    state: r.state === 'DELETED' ? 'DELETED' : 'COMMITTED',
    description: r.description,
    metadata: JSON.parse(r.metadata) as Record<string, unknown>,
    size: Number(r.size),
    fileCount: Number(r.file_count),
    commitHash: r.commit_hash,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ttlMs: Number(r.ttl_inherit) === 1 ? 'inherit' : r.ttl_ms === null ? null : Number(r.ttl_ms),
    sourceVersionId: r.source_version_id,
    historyStep: r.history_step === null ? null : Number(r.history_step),
  };
}

function ttlColumns(ttl: number | null | 'inherit'): {
  ttl_ms: number | null;
  ttl_inherit: number;
} {
  return ttl === 'inherit' ? { ttl_ms: null, ttl_inherit: 1 } : { ttl_ms: ttl, ttl_inherit: 0 };
}

function toEntry(r: Selectable<Database['entries']>): EntryRecord {
  return {
    path: r.path,
    digest: r.digest,
    size: Number(r.size),
    sha256: r.sha256,
    ref: r.ref,
    birthArtifactId: r.birth_artifact_id,
    extra: r.extra === null ? null : (JSON.parse(r.extra) as Record<string, unknown>),
  };
}

function toBlob(
  r: Pick<Selectable<Database['blobs']>, 'sha256' | 'md5' | 'size' | 'pack_id' | 'offset'>,
): BlobRecord {
  return {
    sha256: r.sha256,
    md5: r.md5,
    size: Number(r.size),
    packId: r.pack_id,
    offset: Number(r.offset),
  };
}

/** MetaStore over Kysely; the dialect (SQLite, PostgreSQL) is chosen by whoever builds `db`. */
export class KyselyMetaStore implements MetaStore {
  readonly folders: FolderQueries;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly inTransaction = false,
  ) {
    this.folders = new KyselyFolderQueries(db);
  }

  async transaction<T>(
    fn: (tx: MetaStore) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    if (this.inTransaction) return fn(this);
    const bound = (trx: Kysely<Database>): Promise<T> => fn(new KyselyMetaStore(trx, true));
    for (let attempt = 1; ; attempt++) {
      try {
        if (options.durable === false) return await unsyncedTransaction(this.db, bound);
        return await this.db.transaction().execute(bound);
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !isConcurrencyConflict(err)) throw err;
      }
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async findEntity(name: string): Promise<EntityRow | undefined> {
    const r = await this.db
      .selectFrom('entities')
      .select(['id', 'name'])
      .where('name', '=', name)
      .executeTakeFirst();
    return r && { id: Number(r.id), name: r.name };
  }

  async ensureEntity(name: string): Promise<EntityRow> {
    await this.db
      .insertInto('entities')
      .values({ name, created_at: now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const r = await this.findEntity(name);
    if (!r) throw new Error(`entity ${name} vanished after insert`);
    return r;
  }

  async listEntities(opts: { afterName?: string; limit: number }): Promise<EntityListRow[]> {
    // By code point on both dialects, so a page boundary means the same on each.
    const name = codePointOrder(this.db, 'name');
    let q = this.db.selectFrom('entities').select(['name', 'created_at']);
    if (opts.afterName !== undefined) q = q.where(name, '>', opts.afterName);
    const rows = await q.orderBy(name).limit(opts.limit).execute();
    return rows.map((r) => ({ name: r.name, createdAt: r.created_at }));
  }

  async findProject(entityId: number, path: string): Promise<ProjectRow | undefined> {
    const r = await this.db
      .selectFrom('projects')
      .select(['id', 'entity_id', 'path'])
      .where('entity_id', '=', entityId)
      .where('path', '=', path)
      .executeTakeFirst();
    return r && { id: Number(r.id), entityId: Number(r.entity_id), path: r.path };
  }

  async ensureProject(entityId: number, path: string): Promise<ProjectRow> {
    await this.db
      .insertInto('projects')
      .values({ entity_id: entityId, path, created_at: now() })
      .onConflict((oc) => oc.columns(['entity_id', 'path']).doNothing())
      .execute();
    const r = await this.findProject(entityId, path);
    if (!r) throw new Error(`project ${path} vanished after insert`);
    return r;
  }

  private collectionQuery() {
    return this.db
      .selectFrom('collections as c')
      .innerJoin('projects as p', 'p.id', 'c.project_id')
      .innerJoin('entities as e', 'e.id', 'p.entity_id')
      .select([
        'c.id',
        'c.project_id',
        'c.name',
        'c.type',
        'c.description',
        'c.created_at',
        'c.updated_at',
        'p.path as project',
        'e.name as entity',
        'p.default_ttl_ms as project_ttl_ms',
      ]);
  }

  private static toCollection(r: {
    id: number;
    project_id: number;
    name: string;
    type: string;
    description: string | null;
    created_at: string;
    updated_at: string;
    project: string;
    entity: string;
    project_ttl_ms: number | null;
  }): CollectionRecord {
    return {
      id: Number(r.id),
      projectId: Number(r.project_id),
      entity: r.entity,
      project: r.project,
      name: r.name,
      type: r.type,
      description: r.description,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      projectTtlMs: r.project_ttl_ms === null ? null : Number(r.project_ttl_ms),
    };
  }

  async findCollection(projectId: number, name: string): Promise<CollectionRecord | undefined> {
    const r = await this.collectionQuery()
      .where('c.project_id', '=', projectId)
      .where('c.name', '=', name)
      .executeTakeFirst();
    return r && KyselyMetaStore.toCollection(r);
  }

  async ensureCollection(projectId: number, name: string, type: string): Promise<CollectionRecord> {
    const at = now();
    await this.db
      .insertInto('collections')
      .values({
        project_id: projectId,
        name,
        type,
        description: null,
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.columns(['project_id', 'name']).doNothing())
      .execute();
    const r = await this.findCollection(projectId, name);
    if (!r) throw new Error(`collection ${name} vanished after insert`);
    return r;
  }

  async getCollection(id: number): Promise<CollectionRecord | undefined> {
    const r = await this.collectionQuery().where('c.id', '=', id).executeTakeFirst();
    return r && KyselyMetaStore.toCollection(r);
  }

  async listCollections(
    projectId: number,
    opts: { type?: string; afterName?: string; limit: number },
  ): Promise<(CollectionRecord & { versionCount: number })[]> {
    let q = this.collectionQuery()
      .select((eb) =>
        eb
          .selectFrom('versions as v')
          .select((eb2) => eb2.fn.countAll<number>().as('n'))
          .whereRef('v.collection_id', '=', 'c.id')
          .where('v.state', '=', 'COMMITTED')
          .as('version_count'),
      )
      .where('c.project_id', '=', projectId);
    if (opts.type !== undefined) q = q.where('c.type', '=', opts.type);
    if (opts.afterName !== undefined) q = q.where('c.name', '>', opts.afterName);
    const rows = await q.orderBy('c.name').limit(opts.limit).execute();
    return rows.map((r) => ({
      ...KyselyMetaStore.toCollection(r),
      versionCount: Number(r.version_count ?? 0),
    }));
  }

  async setCollectionDescription(id: number, description: string | null): Promise<void> {
    await this.db.updateTable('collections').set({ description }).where('id', '=', id).execute();
  }

  async touchCollection(id: number, at: string): Promise<void> {
    await this.db.updateTable('collections').set({ updated_at: at }).where('id', '=', id).execute();
  }

  async maxVersionIdx(collectionId: number): Promise<number | undefined> {
    const r = await this.db
      .selectFrom('versions')
      .select((eb) => eb.fn.max('idx').as('m'))
      .where('collection_id', '=', collectionId)
      .executeTakeFirst();
    return r?.m === null || r?.m === undefined ? undefined : Number(r.m);
  }

  async latestVersion(collectionId: number): Promise<VersionRecord | undefined> {
    const r = await this.db
      .selectFrom('versions')
      .selectAll()
      .where('collection_id', '=', collectionId)
      .where('state', '=', 'COMMITTED')
      .orderBy('idx', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r && toVersion(r);
  }

  async getVersion(id: string): Promise<VersionRecord | undefined> {
    const r = await this.db
      .selectFrom('versions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r && toVersion(r);
  }

  async findVersionByIdx(collectionId: number, idx: number): Promise<VersionRecord | undefined> {
    const r = await this.db
      .selectFrom('versions')
      .selectAll()
      .where('collection_id', '=', collectionId)
      .where('idx', '=', idx)
      .executeTakeFirst();
    return r && toVersion(r);
  }

  async findVersionByDigest(
    collectionId: number,
    digest: string,
  ): Promise<VersionRecord | undefined> {
    const r = await this.db
      .selectFrom('versions')
      .selectAll()
      .where('collection_id', '=', collectionId)
      .where('digest', '=', digest)
      .where('state', '=', 'COMMITTED')
      .orderBy('idx', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r && toVersion(r);
  }

  async findVersionByAlias(
    collectionId: number,
    alias: string,
  ): Promise<VersionRecord | undefined> {
    const r = await this.db
      .selectFrom('aliases as a')
      .innerJoin('versions as v', 'v.id', 'a.version_id')
      .selectAll('v')
      .where('a.collection_id', '=', collectionId)
      .where('a.alias', '=', alias)
      .executeTakeFirst();
    return r && toVersion(r);
  }

  async listVersions(
    collectionId: number,
    opts: { afterIdx?: number; limit: number },
  ): Promise<VersionRecord[]> {
    let q = this.db
      .selectFrom('versions')
      .selectAll()
      .where('collection_id', '=', collectionId)
      .where('state', '=', 'COMMITTED');
    if (opts.afterIdx !== undefined) q = q.where('idx', '>', opts.afterIdx);
    const rows = await q.orderBy('idx').limit(opts.limit).execute();
    return rows.map(toVersion);
  }

  async insertVersion(v: NewVersion): Promise<void> {
    await this.db
      .insertInto('versions')
      .values({
        id: v.id,
        collection_id: v.collectionId,
        idx: v.idx,
        digest: v.digest,
        state: 'COMMITTED',
        description: v.description,
        metadata: JSON.stringify(v.metadata),
        size: v.size,
        file_count: v.fileCount,
        commit_hash: v.commitHash,
        created_at: v.createdAt,
        updated_at: v.updatedAt,
        ...ttlColumns(v.ttlMs),
        source_version_id: v.sourceVersionId ?? null,
      })
      .execute();
    await bulkInsert(
      this.db,
      'entries',
      ['version_id', 'path', 'digest', 'size', 'sha256', 'ref', 'birth_artifact_id', 'extra'],
      v.entries.map((e) => [
        v.id,
        e.path,
        e.digest,
        e.size,
        e.sha256,
        e.ref,
        e.birthArtifactId,
        e.extra === null ? null : JSON.stringify(e.extra),
      ]),
    );
  }

  async updateVersion(
    id: string,
    patch: Partial<
      Pick<VersionRecord, 'description' | 'metadata' | 'state' | 'updatedAt' | 'ttlMs'>
    >,
  ): Promise<void> {
    const set: Updateable<Database['versions']> = {};
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.metadata !== undefined) set.metadata = JSON.stringify(patch.metadata);
    if (patch.state !== undefined) set.state = patch.state;
    if (patch.updatedAt !== undefined) set.updated_at = patch.updatedAt;
    if (patch.ttlMs !== undefined) Object.assign(set, ttlColumns(patch.ttlMs));
    if (Object.keys(set).length === 0) return;
    await this.db.updateTable('versions').set(set).where('id', '=', id).execute();
  }

  async aliasesOf(versionId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('aliases')
      .select('alias')
      .where('version_id', '=', versionId)
      .orderBy(codePointOrder(this.db, 'alias'))
      .execute();
    return rows.map((r) => r.alias);
  }

  async setAlias(collectionId: number, alias: string, versionId: string): Promise<void> {
    await this.removeAlias(collectionId, alias);
    await this.db
      .insertInto('aliases')
      .values({ collection_id: collectionId, alias, version_id: versionId })
      .execute();
  }

  async removeAlias(collectionId: number, alias: string): Promise<void> {
    await this.db
      .deleteFrom('aliases')
      .where('collection_id', '=', collectionId)
      .where('alias', '=', alias)
      .execute();
  }

  async removeAliasesOf(versionId: string): Promise<void> {
    await this.db.deleteFrom('aliases').where('version_id', '=', versionId).execute();
  }

  async tagsOf(versionId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('tags')
      .select('tag')
      .where('version_id', '=', versionId)
      .orderBy(codePointOrder(this.db, 'tag'))
      .execute();
    return rows.map((r) => r.tag);
  }

  async setTags(versionId: string, tags: string[]): Promise<void> {
    await this.db.deleteFrom('tags').where('version_id', '=', versionId).execute();
    if (tags.length === 0) return;
    await this.db
      .insertInto('tags')
      .values(tags.map((tag) => ({ version_id: versionId, tag })))
      .execute();
  }

  async entries(
    versionId: string,
    opts: { afterPath?: string; limit?: number; names?: string[] },
  ): Promise<EntryRecord[]> {
    if (opts.names !== undefined) {
      const out: EntryRecord[] = [];
      for (const part of chunks(opts.names)) {
        const rows = await this.db
          .selectFrom('entries')
          .selectAll()
          .where('version_id', '=', versionId)
          .where('path', 'in', part)
          .execute();
        out.push(...rows.map(toEntry));
      }
      return out;
    }
    let q = this.db.selectFrom('entries').selectAll().where('version_id', '=', versionId);
    if (opts.afterPath !== undefined) q = q.where('path', '>', opts.afterPath);
    q = q.orderBy('path');
    if (opts.limit !== undefined) q = q.limit(opts.limit);
    return (await q.execute()).map(toEntry);
  }

  async getEntry(versionId: string, path: string): Promise<EntryRecord | undefined> {
    const r = await this.db
      .selectFrom('entries')
      .selectAll()
      .where('version_id', '=', versionId)
      .where('path', '=', path)
      .executeTakeFirst();
    return r && toEntry(r);
  }

  async findBlobs(sha256s: string[]): Promise<BlobRecord[]> {
    const rows = await selectIn(
      this.db,
      'blobs',
      ['sha256', 'md5', 'size', 'pack_id', 'offset'],
      'sha256',
      [...new Set(sha256s)],
    );
    return rows.map(toBlob);
  }

  async presentBlobs(sha256s: string[]): Promise<Set<string>> {
    const rows = await selectIn(this.db, 'blobs', ['sha256'], 'sha256', [...new Set(sha256s)]);
    return new Set(rows.map((r) => r.sha256));
  }

  async getBlob(sha256: string): Promise<BlobRecord | undefined> {
    const r = await this.db
      .selectFrom('blobs')
      .selectAll()
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    return r && toBlob(r);
  }

  async insertBlobs(rows: BlobRecord[], packId: string | null, packSize: number): Promise<void> {
    const at = now();
    await this.transaction(async (tx) => {
      const db = (tx as KyselyMetaStore).db;
      if (packId !== null) {
        await db
          .insertInto('packs')
          .values({ id: packId, size: packSize, created_at: at })
          .execute();
      }
      await bulkInsert(
        db,
        'blobs',
        ['sha256', 'md5', 'size', 'pack_id', 'offset', 'created_at'],
        // In key order: each statement's inserts land in one stretch of the SHA-256 index.
        [...rows]
          .sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0))
          .map((b) => [b.sha256, b.md5, b.size, b.packId, b.offset, at]),
        { ignoreConflictOn: 'sha256' },
      );
    }, UNSYNCED);
  }

  async createUpload(u: UploadRecord, sha256s: string[]): Promise<void> {
    await this.transaction(async (tx) => {
      const db = (tx as KyselyMetaStore).db;
      await db
        .insertInto('uploads')
        .values({
          id: u.id,
          entity: u.entity,
          project: u.project,
          collection: u.collection,
          type: u.type,
          created_at: u.createdAt,
          expires_at: u.expiresAt,
        })
        .execute();
      await bulkInsert(
        db,
        'upload_blobs',
        ['upload_id', 'sha256'],
        [...new Set(sha256s)].sort().map((sha256) => [u.id, sha256]),
      );
    }, UNSYNCED);
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const r = await this.db
      .selectFrom('uploads')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return (
      r && {
        id: r.id,
        entity: r.entity,
        project: r.project,
        collection: r.collection,
        type: r.type,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
      }
    );
  }

  async deleteExpiredUploads(at: string): Promise<number> {
    return this.transaction(async (tx) => {
      const db = (tx as KyselyMetaStore).db;
      const expired = db.selectFrom('uploads').select('id').where('expires_at', '<', at);
      await db.deleteFrom('upload_blobs').where('upload_id', 'in', expired).execute();
      const r = await db.deleteFrom('uploads').where('expires_at', '<', at).executeTakeFirst();
      return Number(r.numDeletedRows);
    });
  }

  async releasePins(uploadId: string): Promise<void> {
    await this.db.deleteFrom('upload_blobs').where('upload_id', '=', uploadId).execute();
  }

  async deleteUpload(id: string): Promise<void> {
    await this.db.deleteFrom('upload_blobs').where('upload_id', '=', id).execute();
    await this.db.deleteFrom('uploads').where('id', '=', id).execute();
  }

  async deleteUnreferencedBlobs(before: string): Promise<BlobRecord[]> {
    return this.transaction(async (tx) => {
      const db = (tx as KyselyMetaStore).db;
      const candidates = db.selectFrom('blobs').selectAll().where('created_at', '<', before);
      // Each dialect gets the form it answers in one pass. SQLite reads a `not in (subquery)`
      // once into a temporary index (entries have no index by blob), where a correlated
      // `not exists` would scan them per blob. PostgreSQL hashes a `not in` list only while it
      // fits in work_mem: from about 10^5 entries it rescanned the list for every blob (a GC
      // that did not end), where `not exists` is a hash anti-join at any size.
      const rows = await (
        isPostgres(db)
          ? candidates
              .where(({ not, exists, selectFrom }) =>
                not(
                  exists(
                    selectFrom('entries as e')
                      .innerJoin('versions as v', 'v.id', 'e.version_id')
                      .select('e.sha256')
                      .where('v.state', '=', 'COMMITTED')
                      .whereRef('e.sha256', '=', 'blobs.sha256'),
                  ),
                ),
              )
              .where(({ not, exists, selectFrom }) =>
                not(
                  exists(
                    selectFrom('upload_blobs as u')
                      .select('u.sha256')
                      .whereRef('u.sha256', '=', 'blobs.sha256'),
                  ),
                ),
              )
          : candidates
              .where('sha256', 'not in', (eb) =>
                eb
                  .selectFrom('entries as e')
                  .innerJoin('versions as v', 'v.id', 'e.version_id')
                  .select('e.sha256')
                  .where('v.state', '=', 'COMMITTED')
                  .where('e.sha256', 'is not', null),
              )
              .where('sha256', 'not in', (eb) => eb.selectFrom('upload_blobs').select('sha256'))
      ).execute();
      for (const part of chunks(rows.map((r) => r.sha256))) {
        await db.deleteFrom('blobs').where('sha256', 'in', part).execute();
      }
      return rows.map(toBlob);
    });
  }

  async packUsage(): Promise<{ id: string; size: number; liveBytes: number; liveBlobs: number }[]> {
    const rows = await this.db
      .selectFrom('packs as p')
      .leftJoin('blobs as b', 'b.pack_id', 'p.id')
      .select((eb) => [
        'p.id',
        'p.size',
        eb.fn.coalesce(eb.fn.sum<number>('b.size'), eb.val(0)).as('live_bytes'),
        eb.fn.count<number>('b.sha256').as('live_blobs'),
      ])
      .groupBy(['p.id', 'p.size'])
      .execute();
    return rows.map((r) => ({
      id: r.id,
      size: Number(r.size),
      liveBytes: Number(r.live_bytes),
      liveBlobs: Number(r.live_blobs),
    }));
  }

  async blobsInPack(packId: string): Promise<BlobRecord[]> {
    const rows = await this.db
      .selectFrom('blobs')
      .selectAll()
      .where('pack_id', '=', packId)
      .orderBy('offset')
      .execute();
    return rows.map(toBlob);
  }

  async movePack(
    fromPack: string,
    fromKey: string,
    toPack: string,
    toSize: number,
    rows: BlobRecord[],
    at: string,
  ): Promise<void> {
    await this.transaction(async (tx) => {
      const db = (tx as KyselyMetaStore).db;
      await db.insertInto('packs').values({ id: toPack, size: toSize, created_at: at }).execute();
      for (const r of rows) {
        await db
          .updateTable('blobs')
          .set({ pack_id: toPack, offset: r.offset })
          .where('sha256', '=', r.sha256)
          .where('pack_id', '=', fromPack)
          .execute();
      }
      // Blobs that arrived in the old pack meanwhile (none should) keep it alive.
      const left = await db
        .selectFrom('blobs')
        .select('sha256')
        .where('pack_id', '=', fromPack)
        .limit(1)
        .execute();
      if (left.length === 0) {
        await db.deleteFrom('packs').where('id', '=', fromPack).execute();
        await db
          .insertInto('retired_objects')
          .values({ key: fromKey, retired_at: at })
          .onConflict((oc) => oc.column('key').doNothing())
          .execute();
      }
    });
  }

  async dropPack(packId: string, key: string, at: string): Promise<void> {
    await this.transaction(async (tx) => {
      const db = (tx as KyselyMetaStore).db;
      const left = await db
        .selectFrom('blobs')
        .select('sha256')
        .where('pack_id', '=', packId)
        .limit(1)
        .execute();
      if (left.length > 0) return;
      await db.deleteFrom('packs').where('id', '=', packId).execute();
      await db
        .insertInto('retired_objects')
        .values({ key, retired_at: at })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    });
  }

  async retireObjects(keys: string[], at: string): Promise<void> {
    for (const part of chunks(keys)) {
      await this.db
        .insertInto('retired_objects')
        .values(part.map((key) => ({ key, retired_at: at })))
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    }
  }

  async retiredObjects(before: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('retired_objects')
      .select('key')
      .where('retired_at', '<=', before)
      .execute();
    return rows.map((r) => r.key);
  }

  async releaseRetired(
    keys: { key: string; standaloneSha: string | null; packId: string | null }[],
    at: string,
  ): Promise<string[]> {
    return this.transaction(async (tx) => {
      const store = tx as KyselyMetaStore;
      const out: string[] = [];
      for (const part of chunks(keys)) {
        const shas = part.flatMap((k) => (k.standaloneSha === null ? [] : [k.standaloneSha]));
        const packs = part.flatMap((k) => (k.packId === null ? [] : [k.packId]));
        const indexed = await store.indexedStandalone(shas);
        const known = await store.knownPacks(packs);
        const named = part.filter(
          (k) =>
            (k.standaloneSha !== null && indexed.has(k.standaloneSha)) ||
            (k.packId !== null && known.has(k.packId)),
        );
        if (named.length > 0) {
          await store.db
            .deleteFrom('retired_objects')
            .where(
              'key',
              'in',
              named.map((k) => k.key),
            )
            .where('deleting_since', 'is', null)
            .execute();
        }
        const unnamed = part.filter((k) => !named.includes(k)).map((k) => k.key);
        if (unnamed.length === 0) continue;
        // The claim is the row a reviving writer deletes: whichever commits first wins it.
        const claimed = await store.db
          .updateTable('retired_objects')
          .set({ deleting_since: at })
          .where('key', 'in', unnamed)
          .where('deleting_since', 'is', null)
          .returning('key')
          .execute();
        const stale = await store.db
          .selectFrom('retired_objects')
          .select('key')
          .where('key', 'in', unnamed)
          .where('deleting_since', '<', at)
          .execute();
        out.push(...claimed.map((r) => r.key), ...stale.map((r) => r.key));
      }
      return [...new Set(out)];
    });
  }

  async forgetDeleted(keys: string[]): Promise<void> {
    for (const part of chunks(keys)) {
      await this.db
        .deleteFrom('retired_objects')
        .where('key', 'in', part)
        .where('deleting_since', 'is not', null)
        .execute();
    }
  }

  async reviveObjects(keys: string[]): Promise<string[]> {
    return this.transaction(async (tx) => {
      const db = (tx as KyselyMetaStore).db;
      const out: string[] = [];
      for (const part of chunks(keys)) {
        await db
          .deleteFrom('retired_objects')
          .where('key', 'in', part)
          .where('deleting_since', 'is', null)
          .execute();
        const claimed = await db
          .selectFrom('retired_objects')
          .select('key')
          .where('key', 'in', part)
          .execute();
        out.push(...claimed.map((r) => r.key));
      }
      return out;
    });
  }

  async indexedStandalone(sha256s: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(sha256s)) {
      const rows = await this.db
        .selectFrom('blobs')
        .select('sha256')
        .where('sha256', 'in', part)
        .where('pack_id', 'is', null)
        .execute();
      for (const r of rows) out.add(r.sha256);
    }
    return out;
  }

  async pinnedByUploads(sha256s: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(sha256s)) {
      const rows = await this.db
        .selectFrom('upload_blobs')
        .select('sha256')
        .distinct()
        .where('sha256', 'in', part)
        .execute();
      for (const r of rows) out.add(r.sha256);
    }
    return out;
  }

  async knownPacks(packIds: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(packIds)) {
      const rows = await this.db.selectFrom('packs').select('id').where('id', 'in', part).execute();
      for (const r of rows) out.add(r.id);
    }
    return out;
  }

  async setProjectTtl(projectId: number, ttlMs: number | null): Promise<void> {
    await this.db
      .updateTable('projects')
      .set({ default_ttl_ms: ttlMs })
      .where('id', '=', projectId)
      .execute();
  }

  async versionsWithTtl(): Promise<(VersionRecord & { projectTtlMs: number | null })[]> {
    const rows = await this.db
      .selectFrom('versions as v')
      .innerJoin('collections as c', 'c.id', 'v.collection_id')
      .innerJoin('projects as p', 'p.id', 'c.project_id')
      .selectAll('v')
      .select('p.default_ttl_ms as project_ttl_ms')
      .where('v.state', '=', 'COMMITTED')
      .where('v.source_version_id', 'is', null)
      .where((eb) =>
        eb.or([
          eb.and([eb('v.ttl_inherit', '=', 0), eb('v.ttl_ms', 'is not', null)]),
          eb.and([eb('v.ttl_inherit', '=', 1), eb('p.default_ttl_ms', 'is not', null)]),
        ]),
      )
      .execute();
    return rows.map((r) => ({
      ...toVersion(r),
      projectTtlMs: r.project_ttl_ms === null ? null : Number(r.project_ttl_ms),
    }));
  }

  async liveLinksOf(versionId: string): Promise<VersionRecord[]> {
    const rows = await this.db
      .selectFrom('versions')
      .selectAll()
      .where('source_version_id', '=', versionId)
      .where('state', '=', 'COMMITTED')
      .orderBy('created_at')
      .execute();
    return rows.map(toVersion);
  }

  async findLink(
    collectionId: number,
    sourceVersionId: string,
  ): Promise<VersionRecord | undefined> {
    const r = await this.db
      .selectFrom('versions')
      .selectAll()
      .where('collection_id', '=', collectionId)
      .where('source_version_id', '=', sourceVersionId)
      .where('state', '=', 'COMMITTED')
      .executeTakeFirst();
    return r && toVersion(r);
  }
}
