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

/**
 * The collection `name` with its row lock held, so concurrent commits to it take turns and each
 * sees the one before. Looked up again after the lock: a `replace` that committed meanwhile has
 * moved the old collection out of the folder, and then the name belongs to its new one.
 */
async function lockedCollection(
  tx: MetaStore,
  projectId: number,
  name: string,
  type: string,
): Promise<CollectionRecord> {
  for (;;) {
    const c = await tx.ensureCollection(projectId, name, type);
    await tx.touchCollection(c.id, new Date().toISOString());
    const now = await tx.getCollection(c.id);
    if (now && now.projectId === projectId && now.name === name) return now;
  }
}

/**
 * Decides, inside the commit's transaction, where an upload into a folder goes when the folder
 * already holds an artifact of that name. Everything is read under the collection's row lock,
 * so two clients uploading the same name at once cannot both win where only one may.
 */
export async function placeUpload(tx: MetaStore, u: UploadRecord, p: Placement): Promise<Target> {
  const entity = await tx.ensureEntity(u.entity);
  if (!(await folderExists(tx, entity.id, u.project))) {
    const folder = formatFolderPath({ entity: u.entity, path: u.project });
    throw new NotFoundError(
      `folder ${folder} does not exist; create it first (makeFolder: true, or cairn folder mk)`,
      { folder },
    );
  }
  const project = await tx.ensureProject(entity.id, u.project);
  const c = await lockedCollection(tx, project.id, u.collection, u.type);
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
      const alt = await lockedCollection(tx, project.id, p.alternativeName, u.type);
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
      const fresh = await lockedCollection(tx, project.id, u.collection, u.type);
      return { kind: 'commit', collection: fresh, outcome: 'replaced', retired };
    }
  }
}
