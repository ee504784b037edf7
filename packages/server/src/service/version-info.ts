import type { CollectionInfo, LinkSource, ManifestEntry, Page, VersionInfo } from '@cairn/core';
import type {
  CollectionRecord,
  EntryRecord,
  MetaStore,
  VersionRecord,
} from '../store/meta/meta-store.js';

/** The wire view of a version: user aliases plus the managed `vN` and (when it is) `latest`. */
export async function versionInfo(
  meta: MetaStore,
  v: VersionRecord,
  c: CollectionRecord,
): Promise<VersionInfo> {
  const latest = v.state === 'COMMITTED' ? await meta.latestVersion(c.id) : undefined;
  const aliases = [
    ...(latest?.id === v.id ? ['latest'] : []),
    `v${v.idx}`,
    ...(await meta.aliasesOf(v.id)),
  ];
  return {
    id: v.id,
    entity: c.entity,
    project: c.project,
    collection: c.name,
    type: c.type,
    index: v.idx,
    digest: v.digest,
    state: v.state,
    description: v.description,
    metadata: v.metadata,
    aliases,
    tags: await meta.tagsOf(v.id),
    size: v.size,
    fileCount: v.fileCount,
    commitHash: v.commitHash,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    ...(v.sourceVersionId !== null
      ? { ttlMs: null, ttlInherited: false, expiresAt: null }
      : ttlOf(v, c.projectTtlMs)),
    ...(await linkSource(meta, v)),
  };
}

/** A link shows its source: the source's identity, and the step at which it was logged. */
async function linkSource(
  meta: MetaStore,
  v: VersionRecord,
): Promise<{ source: LinkSource | null; historyStep: number | null }> {
  if (v.sourceVersionId === null) return { source: null, historyStep: v.historyStep };
  const s = await meta.getVersion(v.sourceVersionId);
  const c = s && (await meta.getCollection(s.collectionId));
  if (!s || !c) return { source: null, historyStep: null };
  return {
    source: { id: s.id, entity: c.entity, project: c.project, collection: c.name, index: s.idx },
    historyStep: s.historyStep,
  };
}

/** The policy in force for a version: its own, or its project's default. */
export function ttlOf(
  v: Pick<VersionRecord, 'ttlMs' | 'createdAt'>,
  projectTtlMs: number | null,
): { ttlMs: number | null; ttlInherited: boolean; expiresAt: string | null } {
  const inherited = v.ttlMs === 'inherit';
  const ttlMs = v.ttlMs === 'inherit' ? projectTtlMs : v.ttlMs;
  return {
    ttlMs,
    ttlInherited: inherited,
    expiresAt: ttlMs === null ? null : new Date(Date.parse(v.createdAt) + ttlMs).toISOString(),
  };
}

export function collectionInfo(c: CollectionRecord, versionCount: number): CollectionInfo {
  return {
    id: String(c.id),
    entity: c.entity,
    project: c.project,
    name: c.name,
    type: c.type,
    description: c.description,
    versionCount,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export function entryOut(e: EntryRecord): ManifestEntry {
  return {
    path: e.path,
    digest: e.digest,
    size: e.size,
    ...(e.sha256 !== null ? { sha256: e.sha256 } : {}),
    ...(e.ref !== null ? { ref: e.ref } : {}),
    ...(e.birthArtifactId !== null ? { birthArtifactId: e.birthArtifactId } : {}),
    ...(e.extra !== null ? { extra: e.extra } : {}),
  };
}

/**
 * A keyset page: `items` are the first `n` of rows fetched with limit `n + 1`, and `more` says
 * whether the extra row came; the cursor then names the last item's key.
 */
export function keysetPage<T>(
  items: T[],
  more: boolean,
  key: (last: T) => string | number,
): Page<T> {
  const last = items[items.length - 1];
  return more && last !== undefined ? { items, nextCursor: encodeCursor(key(last)) } : { items };
}

export function encodeCursor(value: string | number): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): unknown {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    return null;
  }
}
