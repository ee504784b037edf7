/**
 * Everything the services need from the metadata database, and nothing about SQL. One
 * implementation (`KyselyMetaStore`) serves SQLite and PostgreSQL; `transaction` runs a function
 * against a store bound to one database transaction, so a commit is all or nothing.
 */

import type { FolderQueries } from './folder-queries.js';

export interface EntityRow {
  id: number;
  name: string;
}

export interface EntityListRow {
  name: string;
  createdAt: string;
}

export interface ProjectRow {
  id: number;
  entityId: number;
  path: string;
}

export interface CollectionRecord {
  id: number;
  projectId: number;
  entity: string;
  project: string;
  name: string;
  type: string;
  description: string | null;
  createdAt: string;
  updatedAt: string;
  /** The project's default time to live for versions that inherit it; null = none. */
  projectTtlMs: number | null;
}

export interface VersionRecord {
  id: string;
  collectionId: number;
  idx: number;
  digest: string;
  state: 'COMMITTED' | 'DELETED';
  description: string | null;
  metadata: Record<string, unknown>;
  size: number;
  fileCount: number;
  commitHash: string;
  createdAt: string;
  updatedAt: string;
  /** Milliseconds to live after creation; null = never; 'inherit' = the project's default. */
  ttlMs: number | null | 'inherit';
  /** For a registry link: the version it links to (whose content it shows); else null. */
  sourceVersionId: string | null;
  /** The history step of the run that first logged it (W&B `historyStep`), or null. */
  historyStep: number | null;
}

export interface EntryRecord {
  path: string;
  digest: string;
  size: number;
  sha256: string | null;
  ref: string | null;
  birthArtifactId: string | null;
  extra: Record<string, unknown> | null;
}

export interface BlobRecord {
  sha256: string;
  md5: string;
  size: number;
  /** null: the blob is its own object; otherwise the pack holding it at `offset`. */
  packId: string | null;
  offset: number;
}

export interface UploadRecord {
  id: string;
  entity: string;
  project: string;
  collection: string;
  type: string;
  createdAt: string;
  expiresAt: string;
}

export interface NewVersion extends Omit<
  VersionRecord,
  'state' | 'sourceVersionId' | 'historyStep'
> {
  sourceVersionId?: string | null;
  entries: EntryRecord[];
}

export interface TransactionOptions {
  /**
   * false: the commit is not flushed to disk before it returns. A crash of the server keeps
   * it; a power loss may drop it, and with it only what a retry redoes (an upload's pins and
   * pack rows), never a version: the next durable commit flushes it along, in order.
   * Default true.
   */
  durable?: boolean;
}

export interface MetaStore {
  /**
   * Runs `fn` in one database transaction. When the database reports a conflict with a
   * concurrent transaction (a unique violation, a serialization failure), `fn` runs again from
   * the start, so it must do nothing outside `tx` that cannot be repeated.
   */
  transaction<T>(fn: (tx: MetaStore) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
  /** Subtree queries for folders, on the same connection or transaction as this store. */
  readonly folders: FolderQueries;

  findEntity(name: string): Promise<EntityRow | undefined>;
  ensureEntity(name: string): Promise<EntityRow>;
  /** Entities by name, after `afterName`. */
  listEntities(opts: { afterName?: string; limit: number }): Promise<EntityListRow[]>;
  findProject(entityId: number, path: string): Promise<ProjectRow | undefined>;
  ensureProject(entityId: number, path: string): Promise<ProjectRow>;
  findCollection(projectId: number, name: string): Promise<CollectionRecord | undefined>;
  /** Creates the collection with this type if it does not exist. */
  ensureCollection(projectId: number, name: string, type: string): Promise<CollectionRecord>;
  getCollection(id: number): Promise<CollectionRecord | undefined>;
  /** Collections of a project ordered by name, after `afterName`; with their live version counts. */
  listCollections(
    projectId: number,
    opts: { type?: string; afterName?: string; limit: number },
  ): Promise<(CollectionRecord & { versionCount: number })[]>;
  /**
   * Sets `updated_at`, and so holds the collection's row lock until the transaction ends:
   * concurrent commits to one collection take turns (PostgreSQL row lock; SQLite runs one
   * write transaction at a time anyway).
   */
  touchCollection(id: number, at: string): Promise<void>;
  setCollectionDescription(id: number, description: string | null): Promise<void>;

  maxVersionIdx(collectionId: number): Promise<number | undefined>;
  latestVersion(collectionId: number): Promise<VersionRecord | undefined>;
  getVersion(id: string): Promise<VersionRecord | undefined>;
  findVersionByIdx(collectionId: number, idx: number): Promise<VersionRecord | undefined>;
  findVersionByDigest(collectionId: number, digest: string): Promise<VersionRecord | undefined>;
  findVersionByAlias(collectionId: number, alias: string): Promise<VersionRecord | undefined>;
  listVersions(
    collectionId: number,
    opts: { afterIdx?: number; limit: number },
  ): Promise<VersionRecord[]>;
  insertVersion(v: NewVersion): Promise<void>;
  updateVersion(
    id: string,
    patch: Partial<
      Pick<VersionRecord, 'description' | 'metadata' | 'state' | 'updatedAt' | 'ttlMs'>
    >,
  ): Promise<void>;

  aliasesOf(versionId: string): Promise<string[]>;
  /** Points `alias` at the version, taking it from any other version of the collection. */
  setAlias(collectionId: number, alias: string, versionId: string): Promise<void>;
  removeAlias(collectionId: number, alias: string): Promise<void>;
  removeAliasesOf(versionId: string): Promise<void>;
  tagsOf(versionId: string): Promise<string[]>;
  setTags(versionId: string, tags: string[]): Promise<void>;

  entries(
    versionId: string,
    opts: { afterPath?: string; limit?: number; names?: string[] },
  ): Promise<EntryRecord[]>;
  getEntry(versionId: string, path: string): Promise<EntryRecord | undefined>;

  findBlobs(sha256s: string[]): Promise<BlobRecord[]>;
  /**
   * Which of these blobs the index holds: an index-only lookup, for the questions that need no
   * more than presence (what a session lacks, what a pack need not store again).
   */
  presentBlobs(sha256s: string[]): Promise<Set<string>>;
  getBlob(sha256: string): Promise<BlobRecord | undefined>;
  /** Inserts index rows; rows for blobs already indexed are left as they are. */
  insertBlobs(rows: BlobRecord[], packId: string | null, packSize: number): Promise<void>;

  createUpload(u: UploadRecord, sha256s: string[]): Promise<void>;
  getUpload(id: string): Promise<UploadRecord | undefined>;
  deleteUpload(id: string): Promise<void>;
  /** Drops the blob pins of an upload, keeping the session (a committed upload's blobs are held by its version). */
  releasePins(uploadId: string): Promise<void>;
  /** Forgets upload sessions (and their blob pins) that expired before `now`. */
  deleteExpiredUploads(now: string): Promise<number>;

  setProjectTtl(projectId: number, ttlMs: number | null): Promise<void>;
  /** Live registry links that point at this version. */
  liveLinksOf(versionId: string): Promise<VersionRecord[]>;
  /** The live link of `sourceVersionId` in a collection, if there is one. */
  findLink(collectionId: number, sourceVersionId: string): Promise<VersionRecord | undefined>;
  /**
   * Committed versions with a time to live of their own or inherited, with their project's
   * default, for the expiry sweep.
   */
  versionsWithTtl(): Promise<(VersionRecord & { projectTtlMs: number | null })[]>;

  // --- garbage collection (see docs/storage-invariants.md) ---
  /**
   * Removes index rows of blobs created before `before` that no committed version's entry and
   * no upload pin references — checked in the same statement — and returns them.
   */
  deleteUnreferencedBlobs(before: string): Promise<BlobRecord[]>;
  /** Every pack with the bytes and count of blobs still indexed in it. */
  packUsage(): Promise<{ id: string; size: number; liveBytes: number; liveBlobs: number }[]>;
  blobsInPack(packId: string): Promise<BlobRecord[]>;
  /**
   * In one transaction: indexes the new pack, points the given blobs at their copies in it
   * (only where they still sit in `fromPack`) and forgets `fromPack`, retiring its object key.
   */
  movePack(
    fromPack: string,
    fromKey: string,
    toPack: string,
    toSize: number,
    rows: BlobRecord[],
    at: string,
  ): Promise<void>;
  /** Forgets an empty pack and retires its object key. */
  dropPack(packId: string, key: string, at: string): Promise<void>;
  /** Object keys whose bytes may go once no index row names them again. */
  retireObjects(keys: string[], at: string): Promise<void>;
  retiredObjects(before: string): Promise<string[]>;
  /**
   * In one transaction: keys an index row (a blob stored alone under it, a pack row) names
   * again leave retirement; the others are claimed for deletion (`deleting_since = at`) and
   * returned, with keys an earlier collection claimed and never finished. The caller deletes
   * their bytes, then calls `forgetDeleted`.
   */
  releaseRetired(
    keys: { key: string; standaloneSha: string | null; packId: string | null }[],
    at: string,
  ): Promise<string[]>;
  /** Ends the claims of keys whose bytes are now deleted. */
  forgetDeleted(keys: string[]): Promise<void>;
  /**
   * Takes keys out of retirement for a writer about to store them again, unless a collection
   * has claimed them: those are returned (their bytes are being deleted; wait and retry).
   */
  reviveObjects(keys: string[]): Promise<string[]>;
  /** Whether any blob row or pack row names these (for the orphan scan). */
  indexedStandalone(sha256s: string[]): Promise<Set<string>>;
  /** Which of these blobs an upload in progress has pinned (its bytes may be arriving now). */
  pinnedByUploads(sha256s: string[]): Promise<Set<string>>;
  knownPacks(packIds: string[]): Promise<Set<string>>;
}
