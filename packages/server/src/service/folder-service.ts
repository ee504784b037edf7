import {
  ConflictError,
  NotFoundError,
  ValidationError,
  formatFolderPath,
  isInFolder,
  newId,
  parentFolderPath,
  parseFolderPath,
  validateName,
  type FolderCreate,
  type FolderDeleteResult,
  type FolderInfo,
  type FolderListing,
  type FolderMove,
  type FolderPath,
  type CollectionInfo,
  type EntityInfo,
  type Page,
} from '@cairn/core';
import type { FolderRow } from '../store/meta/folder-queries.js';
import type { CollectionRecord, MetaStore } from '../store/meta/meta-store.js';
import { REGISTRY_ENTITY } from './registry-service.js';
import { collectionInfo, decodeCursor, encodeCursor, keysetPage } from './version-info.js';
import { MAX_PAGE, badCursor, pageLimit } from './version-service.js';

/** Where a recursive delete parks projects that still hold (deleted) versions. */
const DELETED_PREFIX = '~deleted';

/** Checks entity and path as the wire carries them ('' = the entity's root folder). */
export function folderOf(entity: unknown, path: unknown): FolderPath {
  const e = validateName(entity, 'entity name');
  if (typeof path !== 'string') {
    throw new ValidationError(`folder path must be a string, got ${JSON.stringify(path)}`, {
      rule: 'folder.path',
    });
  }
  if (path.startsWith('/')) {
    throw new ValidationError(
      `folder path ${JSON.stringify(path)} must be relative to the entity (vision/mnist, not /vision/mnist)`,
      { rule: 'folder.path' },
    );
  }
  return parseFolderPath(path === '' ? `/${e}` : `/${e}/${path}`, e);
}

function listingCursor(cursor: string | undefined): { kind: 'f' | 'a'; key: string } | undefined {
  const c = decodeCursor(cursor);
  if (c === undefined) return undefined;
  if (typeof c !== 'string' || !/^[fa]:./s.test(c)) throw badCursor();
  return { kind: c[0] === 'f' ? 'f' : 'a', key: c.slice(2) };
}

function info(entity: string, path: string, createdAt: string | null): FolderInfo {
  return { entity, path, fullPath: formatFolderPath({ entity, path }), createdAt };
}

function refuseRegistry(f: FolderPath, what: string): void {
  if (f.entity === REGISTRY_ENTITY) {
    throw new ValidationError(
      `entity ${REGISTRY_ENTITY} holds registry collections, not folders; cannot ${what} ${formatFolderPath(f)}`,
      { rule: 'folder.registry' },
    );
  }
}

/** A folder exists when a project is at its path or below it (parents are implied). */
export async function folderExists(
  tx: MetaStore,
  entityId: number,
  path: string,
): Promise<boolean> {
  return path === '' || (await tx.folders.projectsUnder(entityId, path)).length > 0;
}

/** The folder and each missing ancestor, as project rows (mkdir -p). */
async function ensureFolderChain(tx: MetaStore, entityId: number, path: string): Promise<void> {
  const segments = path.split('/');
  for (let i = 1; i <= segments.length; i++) {
    await tx.ensureProject(entityId, segments.slice(0, i).join('/'));
  }
}

/**
 * t9k's folder tree on Cairn's projects: a folder is a project path, so moving a folder rewrites
 * the paths of the projects at and below it — their collections, versions, aliases and ids stay —
 * all in one transaction.
 */
export class FolderService {
  constructor(private readonly meta: MetaStore) {}

  /** The roots of every folder tree: entities by name, a page at a time. */
  async entities(page: { limit?: unknown; cursor?: string } = {}): Promise<Page<EntityInfo>> {
    const n = pageLimit(page.limit);
    const after = decodeCursor(page.cursor);
    if (after !== undefined && typeof after !== 'string') throw badCursor();
    const rows = await this.meta.listEntities({
      limit: n + 1,
      ...(after !== undefined ? { afterName: after } : {}),
    });
    return keysetPage(rows.slice(0, n), rows.length > n, (e) => e.name);
  }

  async create(body: FolderCreate): Promise<FolderInfo> {
    const f = folderOf(body?.entity, body?.path);
    refuseRegistry(f, 'create');
    const parents = body.parents === true;
    if (f.path === '') {
      if (parents) return info(f.entity, '', null);
      throw new ConflictError(
        `${formatFolderPath(f)} is the root folder of ${f.entity}; it always exists`,
      );
    }
    return this.meta.transaction(async (tx) => {
      const e = await tx.ensureEntity(f.entity);
      if (parents) {
        await ensureFolderChain(tx, e.id, f.path);
      } else {
        if (await folderExists(tx, e.id, f.path)) {
          throw new ConflictError(`folder ${formatFolderPath(f)} already exists`, {
            folder: formatFolderPath(f),
          });
        }
        const parent = parentFolderPath(f.path) ?? '';
        if (!(await folderExists(tx, e.id, parent))) {
          const p = formatFolderPath({ entity: f.entity, path: parent });
          throw new NotFoundError(
            `parent folder ${p} does not exist; create it first or pass parents (makeFolder)`,
            { folder: p },
          );
        }
        await tx.ensureProject(e.id, f.path);
      }
      const self = (await tx.folders.projectsUnder(e.id, f.path)).find((r) => r.path === f.path);
      return info(f.entity, f.path, self?.createdAt ?? null);
    });
  }

  /**
   * One page of a folder: its direct subfolders by path, then its artifacts by name. The cursor
   * names the last entry handed out (`f:<path>` or `a:<name>`), so a page never skips or repeats
   * an entry that was there for the whole walk, whatever is added or removed around it.
   */
  async list(
    entity: unknown,
    path: unknown,
    page: { limit?: unknown; cursor?: string } = {},
  ): Promise<FolderListing> {
    const f = folderOf(entity, path);
    const limit = page.limit === undefined ? MAX_PAGE : pageLimit(page.limit);
    const after = listingCursor(page.cursor);
    const e = await this.meta.findEntity(f.entity);
    const rows = e ? await this.meta.folders.projectsUnder(e.id, f.path) : [];
    if (f.path !== '' && rows.length === 0) throw this.missing(f);
    const self = rows.find((r) => r.path === f.path);
    const children = new Map<string, FolderInfo>();
    for (const r of rows) {
      if (r.path === f.path) continue;
      const rel = f.path === '' ? r.path : r.path.slice(f.path.length + 1);
      const child = f.path === '' ? rel.split('/')[0]! : `${f.path}/${rel.split('/')[0]!}`;
      if (!children.has(child)) children.set(child, info(f.entity, child, null));
      if (r.path === child) children.set(child, info(f.entity, child, r.createdAt));
    }
    const laterFolders =
      after?.kind === 'a'
        ? []
        : [...children.values()]
            .filter((c) => after === undefined || c.path > after.key)
            .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const folders = laterFolders.slice(0, limit);
    const listing = (artifacts: CollectionInfo[], nextCursor?: string): FolderListing => ({
      folder: info(f.entity, f.path, self?.createdAt ?? null),
      folders,
      artifacts,
      ...(nextCursor !== undefined ? { nextCursor } : {}),
    });
    const lastFolder = folders.at(-1);
    const room = limit - folders.length;
    if (room === 0 && lastFolder) {
      const more =
        laterFolders.length > folders.length ||
        (self !== undefined && (await this.liveCollections(self.id, undefined, 1)).length > 0);
      return listing([], more ? encodeCursor(`f:${lastFolder.path}`) : undefined);
    }
    const afterName = after?.kind === 'a' ? after.key : undefined;
    const live = self ? await this.liveCollections(self.id, afterName, room + 1) : [];
    const artifacts = live.slice(0, room).map((c) => collectionInfo(c, c.versionCount));
    const lastArtifact = artifacts.at(-1);
    return listing(
      artifacts,
      live.length > room && lastArtifact ? encodeCursor(`a:${lastArtifact.name}`) : undefined,
    );
  }

  /** Up to `n` collections with a live version, by name after `afterName`. */
  private async liveCollections(
    projectId: number,
    afterName: string | undefined,
    n: number,
  ): Promise<(CollectionRecord & { versionCount: number })[]> {
    const live: (CollectionRecord & { versionCount: number })[] = [];
    let from = afterName;
    // Collections whose versions are all deleted stay as rows; skip them without a short page.
    for (;;) {
      const want = n - live.length;
      const batch = await this.meta.listCollections(projectId, {
        ...(from !== undefined ? { afterName: from } : {}),
        limit: want,
      });
      live.push(...batch.filter((c) => c.versionCount > 0));
      const last = batch.at(-1);
      if (live.length >= n || !last || batch.length < want) return live;
      from = last.name;
    }
  }

  async move(body: FolderMove): Promise<FolderInfo> {
    const from = folderOf(body?.entity, body?.path);
    const to = folderOf(body.toEntity ?? from.entity, body.toPath);
    refuseRegistry(from, 'move');
    refuseRegistry(to, 'move a folder to');
    if (from.path === '' || to.path === '') {
      throw new ValidationError(
        `the root folder of an entity cannot be moved or be a destination (${formatFolderPath(from)} → ${formatFolderPath(to)})`,
        { rule: 'folder.root' },
      );
    }
    if (from.entity === to.entity && isInFolder(to.path, from.path)) {
      throw new ValidationError(
        `cannot move ${formatFolderPath(from)} into itself (${formatFolderPath(to)})`,
        { rule: 'folder.cycle' },
      );
    }
    return this.meta.transaction(async (tx) => {
      const e = await tx.findEntity(from.entity);
      const rows = e ? await tx.folders.projectsUnder(e.id, from.path) : [];
      if (rows.length === 0) throw this.missing(from);
      const te = await tx.ensureEntity(to.entity);
      if (await folderExists(tx, te.id, to.path)) {
        throw new ConflictError(
          `cannot move ${formatFolderPath(from)} to ${formatFolderPath(to)}: the destination already exists`,
          { folder: formatFolderPath(to) },
        );
      }
      const parent = parentFolderPath(to.path) ?? '';
      if (!(await folderExists(tx, te.id, parent))) {
        if (body.parents === true) await ensureFolderChain(tx, te.id, parent);
        else {
          const p = formatFolderPath({ entity: to.entity, path: parent });
          throw new NotFoundError(
            `cannot move ${formatFolderPath(from)} to ${formatFolderPath(to)}: parent folder ${p} does not exist (pass parents to create it)`,
            { folder: p },
          );
        }
      }
      for (const r of rows) {
        await tx.folders.setProjectPlace(
          r.id,
          te.id,
          `${to.path}${r.path.slice(from.path.length)}`,
        );
      }
      const self = rows.find((r) => r.path === from.path);
      return info(to.entity, to.path, self?.createdAt ?? null);
    });
  }

  async remove(entity: unknown, path: unknown, recursive: boolean): Promise<FolderDeleteResult> {
    const f = folderOf(entity, path);
    refuseRegistry(f, 'delete');
    if (f.path === '') {
      throw new ValidationError(`the root folder ${formatFolderPath(f)} cannot be deleted`, {
        rule: 'folder.root',
      });
    }
    return this.meta.transaction(async (tx) => {
      const e = await tx.findEntity(f.entity);
      const rows: FolderRow[] = e ? await tx.folders.projectsUnder(e.id, f.path) : [];
      if (!e || rows.length === 0) throw this.missing(f);
      // First out of the tree: changing a project's path waits for any commit that is adding a
      // collection to it (PostgreSQL's key lock), and uploads that come later find the path free.
      // Deleted versions stay (lineage shows them, GC frees their bytes), under a path no user
      // can type, which frees the name at once.
      const tomb = `${DELETED_PREFIX}/${newId()}`;
      for (const r of rows) await tx.folders.setProjectPlace(r.id, e.id, `${tomb}/${r.path}`);
      const collections = await tx.folders.collectionsIn(rows.map((r) => r.id));
      // Then wait for commits into these collections, so the versions read next are all of them.
      await tx.folders.lockCollections(collections.map((c) => c.id));
      const counted = await tx.folders.collectionsIn(rows.map((r) => r.id));
      const self = rows.find((r) => r.path === f.path);
      const live = counted.filter((c) => c.liveVersions > 0 && c.projectId === self?.id);
      const subfolders = new Set(
        rows
          .filter((r) => r.path !== f.path)
          .map((r) => r.path.slice(f.path.length + 1).split('/')[0]),
      );
      if (!recursive && (live.length > 0 || subfolders.size > 0)) {
        throw new ConflictError(
          `folder ${formatFolderPath(f)} is not empty (${live.length} artifact(s), ${subfolders.size} subfolder(s)); delete them first or delete recursively`,
          { folder: formatFolderPath(f), artifacts: live.length, subfolders: subfolders.size },
        );
      }
      const versionIds = await tx.folders.liveVersionIds(counted.map((c) => c.id));
      const links = await tx.folders.outsideLinks(versionIds);
      if (links.length > 0) {
        throw new ConflictError(
          `folder ${formatFolderPath(f)} holds versions linked into a registry (${links.length} link(s)); unlink them first`,
          { links },
        );
      }
      await tx.folders.deleteVersions(versionIds, new Date().toISOString());
      const holding = new Set(counted.map((c) => c.projectId));
      for (const r of rows) if (!holding.has(r.id)) await tx.folders.deleteProject(r.id);
      return { deleted: true as const, folders: rows.length, versions: versionIds.length };
    });
  }

  private missing(f: FolderPath): NotFoundError {
    return new NotFoundError(`folder ${formatFolderPath(f)} does not exist`, {
      folder: formatFolderPath(f),
    });
  }
}
