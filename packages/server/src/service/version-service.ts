import {
  CairnError,
  ConflictError,
  NotFoundError,
  ValidationError,
  isId,
  isManagedAlias,
  normalizeEntryPath,
  parseArtifactRef,
  validateAliases,
  validateDescription,
  validateMetadata,
  validateName,
  validateProjectPath,
  validateTags,
  validateTtl,
  type CollectionInfo,
  type ManifestEntry,
  type Page,
  type VersionInfo,
  type VersionUpdate,
  type ProjectTtl,
} from '@cairn/core';
import type { CollectionRecord, MetaStore, VersionRecord } from '../store/meta/meta-store.js';
import { ManifestMemo } from './manifest-memo.js';
import {
  collectionInfo,
  decodeCursor,
  entryOut,
  keysetPage,
  ttlOf,
  versionInfo,
} from './version-info.js';

/** The largest version index the metadata stores' integer columns hold (PostgreSQL int4). */
const MAX_VERSION_INDEX = 2_147_483_647;

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 1000;

export function pageLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_PAGE;
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) {
    throw new ValidationError(
      `limit must be an integer from 1 to ${MAX_PAGE}, got ${String(limit)}`,
      {
        rule: 'limit',
      },
    );
  }
  return n;
}

export function badCursor(): ValidationError {
  return new ValidationError('cursor is not one this server issued', { rule: 'cursor' });
}

/** Reading and editing committed versions and their collections. */
export class VersionService {
  /** About 30 MB of entries at most. */
  private readonly manifests = new ManifestMemo(100_000);

  constructor(private readonly meta: MetaStore) {}

  async findCollection(
    entity: string,
    project: string,
    name: string,
  ): Promise<CollectionRecord | undefined> {
    const e = await this.meta.findEntity(entity);
    const p = e && (await this.meta.findProject(e.id, project));
    return p && this.meta.findCollection(p.id, name);
  }

  private async requireLive(id: string): Promise<{ v: VersionRecord; c: CollectionRecord }> {
    const v = isId(id) ? await this.meta.getVersion(id) : undefined;
    const c = v && (await this.meta.getCollection(v.collectionId));
    if (!v || !c || v.state === 'DELETED') {
      throw new NotFoundError(`artifact version ${id} does not exist`, { id });
    }
    return { v, c };
  }

  async get(id: string): Promise<VersionInfo> {
    const { v, c } = await this.requireLive(id);
    return versionInfo(this.meta, v, c);
  }

  async resolve(ref: string): Promise<VersionInfo> {
    if (isId(ref)) return this.get(ref);
    const r = parseArtifactRef(ref);
    let c = await this.findCollection(r.entity, r.project, r.collection);
    if (!c) {
      throw new NotFoundError(`artifact ${r.entity}/${r.project}/${r.collection} does not exist`, {
        ref,
      });
    }
    for (let attempt = 0; ; attempt++) {
      let v: VersionRecord | undefined;
      if (r.digest !== undefined) v = await this.meta.findVersionByDigest(c.id, r.digest);
      else if (r.alias === undefined || r.alias === 'latest')
        v = await this.meta.latestVersion(c.id);
      else if (isManagedAlias(r.alias)) {
        // v99999999999999999999 overflowed PostgreSQL's integer column (a 500): no version
        // index can be that large, so it is simply not found.
        const idx = Number(r.alias.slice(1));
        v = idx <= MAX_VERSION_INDEX ? await this.meta.findVersionByIdx(c.id, idx) : undefined;
      } else v = await this.meta.findVersionByAlias(c.id, r.alias);
      if (v && v.state !== 'DELETED') return versionInfo(this.meta, v, c);
      // An upload with conflictStrategy 'replace' may have retired this collection between the
      // two reads and put a new one under the name: then the name means the new one.
      const now = attempt < 2 && (await this.findCollection(r.entity, r.project, r.collection));
      if (!now || now.id === c.id) {
        throw new NotFoundError(`artifact version ${ref} does not exist`, { ref });
      }
      c = now;
    }
  }

  async list(
    entity: string,
    project: string,
    collection: string,
    limit: unknown,
    cursor: string | undefined,
  ): Promise<Page<VersionInfo>> {
    const n = pageLimit(limit);
    const after = decodeCursor(cursor);
    if (after !== undefined && typeof after !== 'number') throw badCursor();
    let c = await this.findCollection(entity, project, collection);
    if (!c) throw new NotFoundError(`artifact ${entity}/${project}/${collection} does not exist`);
    let rows = await this.meta.listVersions(c.id, {
      limit: n + 1,
      ...(after !== undefined ? { afterIdx: after } : {}),
    });
    if (rows.length === 0 && after === undefined) {
      // As in resolve: a `replace` may have swapped the collection under the name meanwhile.
      const now = await this.findCollection(entity, project, collection);
      if (now && now.id !== c.id) {
        c = now;
        rows = await this.meta.listVersions(c.id, { limit: n + 1 });
      }
    }
    const items = await Promise.all(rows.slice(0, n).map((v) => versionInfo(this.meta, v, c)));
    return keysetPage(items, rows.length > n, (v) => v.index);
  }

  async collections(
    entity: string,
    project: string,
    type: string | undefined,
    limit: unknown,
    cursor: string | undefined,
  ): Promise<Page<CollectionInfo>> {
    validateName(entity, 'entity name');
    validateProjectPath(project);
    const n = pageLimit(limit);
    const after = decodeCursor(cursor);
    if (after !== undefined && typeof after !== 'string') throw badCursor();
    const e = await this.meta.findEntity(entity);
    const p = e && (await this.meta.findProject(e.id, project));
    if (!p) return { items: [] };
    const rows = await this.meta.listCollections(p.id, {
      limit: n + 1,
      ...(type !== undefined ? { type } : {}),
      ...(after !== undefined ? { afterName: after } : {}),
    });
    const items = rows.slice(0, n).map((r) => collectionInfo(r, r.versionCount));
    return keysetPage(items, rows.length > n, (c) => c.name);
  }

  async update(id: string, body: VersionUpdate): Promise<VersionInfo> {
    if (typeof body !== 'object' || body === null) {
      throw new ValidationError('update body must be a JSON object');
    }
    const description =
      body.description !== undefined ? validateDescription(body.description) : undefined;
    const metadata = body.metadata !== undefined ? validateMetadata(body.metadata) : undefined;
    const aliases = body.aliases !== undefined ? validateAliases(body.aliases) : undefined;
    const tags = body.tags !== undefined ? validateTags(body.tags) : undefined;
    const ttlMs = body.ttlMs !== undefined ? validateTtl(body.ttlMs) : undefined;
    return this.meta.transaction(async (tx) => {
      const v = await tx.getVersion(id);
      if (!v || v.state === 'DELETED')
        throw new NotFoundError(`artifact version ${id} does not exist`);
      if (v.sourceVersionId !== null && typeof ttlMs === 'number') {
        throw new ValidationError(
          'a registry link has no time to live of its own; set ttl on the source version',
          { rule: 'ttl.link' },
        );
      }
      const at = new Date().toISOString();
      await tx.updateVersion(id, {
        ...(description !== undefined ? { description } : {}),
        ...(metadata !== undefined ? { metadata } : {}),
        ...(ttlMs !== undefined ? { ttlMs } : {}),
        updatedAt: at,
      });
      if (aliases !== undefined) {
        for (const a of await tx.aliasesOf(id)) {
          if (!aliases.includes(a)) await tx.removeAlias(v.collectionId, a);
        }
        for (const a of aliases) await tx.setAlias(v.collectionId, a, id);
      }
      if (tags !== undefined) await tx.setTags(id, tags);
      const c = await tx.getCollection(v.collectionId);
      if (!c) throw new CairnError('INTERNAL', `collection of ${id} is missing`);
      return versionInfo(
        tx,
        {
          ...v,
          ...(description !== undefined ? { description } : {}),
          ...(metadata !== undefined ? { metadata } : {}),
          ...(ttlMs !== undefined ? { ttlMs } : {}),
          updatedAt: at,
        },
        c,
      );
    });
  }

  /** Sets a project's default time to live (W&B's team default); the project must exist. */
  async setProjectTtl(entity: string, project: string, ttl: unknown): Promise<ProjectTtl> {
    validateName(entity, 'entity name');
    validateProjectPath(project);
    const ttlMs = validateTtl(ttl, false) as number | null;
    const e = await this.meta.findEntity(entity);
    const p = e && (await this.meta.findProject(e.id, project));
    if (!p) throw new NotFoundError(`project ${entity}/${project} does not exist`);
    await this.meta.setProjectTtl(p.id, ttlMs);
    return { entity, project, ttlMs };
  }

  /** Deletes committed versions whose time to live has passed, releasing their aliases. */
  async expire(now: number = Date.now()): Promise<number> {
    let n = 0;
    for (const v of await this.meta.versionsWithTtl()) {
      const { expiresAt } = ttlOf(v, v.projectTtlMs);
      if (expiresAt === null || Date.parse(expiresAt) > now) continue;
      // A version linked into a registry stays while the link does.
      if ((await this.meta.liveLinksOf(v.id)).length > 0) continue;
      await this.meta.transaction(async (tx) => {
        await tx.removeAliasesOf(v.id);
        await tx.updateVersion(v.id, { state: 'DELETED', updatedAt: new Date(now).toISOString() });
      });
      n++;
    }
    return n;
  }

  async delete(id: string, deleteAliases: boolean): Promise<void> {
    await this.meta.transaction(async (tx) => {
      const v = await tx.getVersion(id);
      if (!v || v.state === 'DELETED')
        throw new NotFoundError(`artifact version ${id} does not exist`);
      const links = await tx.liveLinksOf(id);
      if (links.length > 0) {
        throw new ConflictError(
          `version v${v.idx} is linked into a registry (${links.length} link(s)); unlink it first`,
          { links: links.map((l) => l.id) },
        );
      }
      const aliases = await tx.aliasesOf(id);
      // Deleting a link only unlinks it; its aliases go with it.
      if (aliases.length > 0 && !deleteAliases && v.sourceVersionId === null) {
        throw new ConflictError(
          `version v${v.idx} still has aliases (${aliases.join(', ')}); remove them first or delete with deleteAliases=true`,
          { aliases },
        );
      }
      await tx.removeAliasesOf(id);
      await tx.updateVersion(id, { state: 'DELETED', updatedAt: new Date().toISOString() });
    });
  }

  /** The version whose entries a version shows: its own, or its source's for a link. */
  private async contentId(id: string): Promise<string> {
    const { v } = await this.requireLive(id);
    return v.sourceVersionId ?? v.id;
  }

  async manifest(id: string): Promise<readonly ManifestEntry[]> {
    const content = await this.contentId(id);
    const held = this.manifests.get(content);
    if (held) return held;
    const entries = (await this.meta.entries(content, {})).map(entryOut);
    this.manifests.set(content, entries);
    return entries;
  }

  async files(
    id: string,
    names: string[] | undefined,
    limit: unknown,
    cursor: string | undefined,
  ): Promise<Page<ManifestEntry>> {
    const content = await this.contentId(id);
    if (names !== undefined) {
      return { items: (await this.meta.entries(content, { names })).map(entryOut) };
    }
    const n = pageLimit(limit);
    const after = decodeCursor(cursor);
    if (after !== undefined && typeof after !== 'string') throw badCursor();
    const rows = await this.meta.entries(content, {
      limit: n + 1,
      ...(after !== undefined ? { afterPath: after } : {}),
    });
    return keysetPage(rows.slice(0, n).map(entryOut), rows.length > n, (e) => e.path);
  }

  async entry(id: string, path: string): Promise<ManifestEntry> {
    const normalized = normalizeEntryPath(path);
    const e = await this.meta.getEntry(await this.contentId(id), normalized);
    if (!e) throw new NotFoundError(`version ${id} has no file ${JSON.stringify(path)}`, { path });
    return entryOut(e);
  }
}
