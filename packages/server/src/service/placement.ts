import {
  ConflictError,
  NotFoundError,
  formatFolderPath,
  newId,
  validateConflictStrategy,
  validateName,
  type ConflictStrategy,
  type FolderPlacement,
  type PlacementResult,
} from '@cairn/core';
import type {
  CollectionRecord,
  MetaStore,
  UploadRecord,
  VersionRecord,
} from '../store/meta/meta-store.js';
import { folderExists } from './folder-service.js';

/** Where `replace` parks the artifact it retires: a project path no user can type. */
const RETIRED_PREFIX = '~retired';

export interface Placement {
  strategy: ConflictStrategy;
  alternativeName: string | undefined;
}

export function validatePlacement(p: FolderPlacement | undefined): Placement {
  const strategy = validateConflictStrategy(p?.conflictStrategy);
  const alternativeName =
    p?.alternativeName === undefined
      ? undefined
      : validateName(p.alternativeName, 'alternative name');
  return { strategy, alternativeName };
}

export type Target =
  | {
      kind: 'commit';
      collection: CollectionRecord;
      outcome: PlacementResult['outcome'];
      retired: string[];
    }
  | { kind: 'skip'; collection: CollectionRecord; existing: VersionRecord };

function conflictOfType(u: UploadRecord, c: CollectionRecord): ConflictError {
  return new ConflictError(
    `artifact ${u.entity}/${u.project}/${c.name} has type ${JSON.stringify(c.type)}, not ${JSON.stringify(u.type)}`,
    { existingType: c.type },
  );
}

/** How often an upload starts over because what it locked moved meanwhile, before giving up. */
const MAX_RELOCKS = 20;

/**
 * Ensures the collection `entity/path/name` and takes its row lock, so concurrent commits to it
 * take turns and each sees the one before. Read again once locked: if a folder move, a recursive
 * delete or a `replace` committed meanwhile, the collection is no longer at that path, and the
 * answer is undefined — the caller starts over, and the name then means what it means now.
 */
export async function lockCollectionAt(
  tx: MetaStore,
  entity: string,
  path: string,
  name: string,
  type: string,
): Promise<CollectionRecord | undefined> {
  const e = await tx.ensureEntity(entity);
  const p = await tx.ensureProject(e.id, path);
  const c = await tx.ensureCollection(p.id, name, type);
  await tx.touchCollection(c.id, new Date().toISOString());
  const now = await tx.getCollection(c.id);
  return now && now.entity === entity && now.project === path && now.name === name
    ? now
    : undefined;
}

/** `lockCollectionAt` until it holds, for uploads that may create the path (W&B's `save()`). */
export async function lockCollection(
  tx: MetaStore,
  u: Pick<UploadRecord, 'entity' | 'project' | 'collection' | 'type'>,
): Promise<CollectionRecord> {
  for (let i = 0; i < MAX_RELOCKS; i++) {
    const c = await lockCollectionAt(tx, u.entity, u.project, u.collection, u.type);
    if (c) return c;
  }
  throw tooBusy(u);
}

function tooBusy(u: Pick<UploadRecord, 'entity' | 'project' | 'collection'>): ConflictError {
  return new ConflictError(
    `artifact ${u.entity}/${u.project}/${u.collection} kept moving while the upload committed; commit again`,
  );
}

/**
 * Decides, inside the commit's transaction, where an upload into a folder goes when the folder
 * already holds an artifact of that name. Everything is read under the collection's row lock,
 * so two clients uploading the same name at once cannot both win where only one may.
 */
export async function placeUpload(tx: MetaStore, u: UploadRecord, p: Placement): Promise<Target> {
  for (let i = 0; i < MAX_RELOCKS; i++) {
    const target = await placeOnce(tx, u, p);
    if (target) return target;
  }
  throw tooBusy(u);
}

async function placeOnce(
  tx: MetaStore,
  u: UploadRecord,
  p: Placement,
): Promise<Target | undefined> {
  const entity = await tx.ensureEntity(u.entity);
  if (!(await folderExists(tx, entity.id, u.project))) {
    const folder = formatFolderPath({ entity: u.entity, path: u.project });
    throw new NotFoundError(
      `folder ${folder} does not exist; create it first (makeFolder: true, or cairn folder mk)`,
      { folder },
    );
  }
  const c = await lockCollectionAt(tx, u.entity, u.project, u.collection, u.type);
  if (!c) return undefined;
  const latest = await tx.latestVersion(c.id);
  const at = `${u.entity}/${u.project}/${u.collection}`;
  if (!latest) {
    if (c.type !== u.type) throw conflictOfType(u, c);
    return { kind: 'commit', collection: c, outcome: 'created', retired: [] };
  }
  switch (p.strategy) {
    case 'skip':
      return { kind: 'skip', collection: c, existing: latest };
    case 'error':
      throw new ConflictError(
        `artifact ${at}:v${latest.idx} already exists in folder ${formatFolderPath({ entity: u.entity, path: u.project })} (conflictStrategy 'error')`,
        { existing: `${at}:v${latest.idx}`, versionId: latest.id },
      );
    case 'version':
      if (c.type !== u.type) throw conflictOfType(u, c);
      return { kind: 'commit', collection: c, outcome: 'versioned', retired: [] };
    case 'new': {
      if (p.alternativeName === undefined) {
        throw new ConflictError(
          `artifact ${at} already exists and the upload names no alternative name for conflictStrategy 'new'`,
        );
      }
      const alt = await lockCollectionAt(tx, u.entity, u.project, p.alternativeName, u.type);
      if (!alt) return undefined;
      const taken = await tx.latestVersion(alt.id);
      if (taken || alt.type !== u.type) {
        throw new ConflictError(
          `artifact ${at} exists and so does its alternative name ${u.entity}/${u.project}/${alt.name}`,
          { existing: `${u.entity}/${u.project}/${alt.name}` },
        );
      }
      return { kind: 'commit', collection: alt, outcome: 'renamed', retired: [] };
    }
    case 'replace': {
      const retired = await tx.folders.liveVersionIds([c.id]);
      const links = await tx.folders.outsideLinks(retired);
      if (links.length > 0) {
        throw new ConflictError(
          `artifact ${at} has versions linked into a registry (${links.length} link(s)); unlink them before replacing it`,
          { links },
        );
      }
      // The old artifact leaves the folder and its versions are deleted in the same transaction
      // that commits the new one: a reader sees the old artifact or the new, never neither.
      await tx.folders.deleteVersions(retired, new Date().toISOString());
      const tomb = await tx.ensureProject(entity.id, `${RETIRED_PREFIX}/${newId()}`);
      await tx.folders.setCollectionProject(c.id, tomb.id);
      const fresh = await lockCollectionAt(tx, u.entity, u.project, u.collection, u.type);
      if (!fresh) return undefined;
      return { kind: 'commit', collection: fresh, outcome: 'replaced', retired };
    }
  }
}
