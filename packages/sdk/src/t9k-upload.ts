import {
  ConflictError,
  NotFoundError,
  ValidationError,
  formatFolderPath,
  parseFolderPath,
  validateConflictStrategy,
} from '@cairn/core';
import type { ConflictStrategy, FolderPath, VersionInfo } from '@cairn/core';
import type { ClientContext } from './context.js';
import { Folders } from './folders.js';
import { fetchLatest } from './upload.js';

export interface FolderUpload {
  folder: FolderPath;
  /** `/entity/path` */
  fullPath: string;
  strategy: ConflictStrategy;
  /** The artifact of that name already in the folder, if any (`skip` returns it). */
  existing: VersionInfo | undefined;
}

/**
 * What `upload()` knows before any bytes move: where the folder is (made first with
 * `makeFolder`, else it must exist), and whether the name is taken — for quick answers only;
 * the commit decides again under the collection's lock.
 */
export async function prepareFolderUpload(
  ctx: ClientContext,
  options: { folder?: string; makeFolder?: boolean; conflictStrategy?: string },
  collection: string,
  type: string,
): Promise<FolderUpload> {
  const strategy = validateConflictStrategy(options.conflictStrategy ?? 'new');
  const folder = parseFolderPath(options.folder ?? 'default', ctx.entity);
  const fullPath = formatFolderPath(folder);
  if (folder.path === '') {
    throw new ValidationError(
      `artifacts are uploaded into a folder below ${fullPath}, not into the root folder itself`,
      { rule: 'folder.root' },
    );
  }
  const folders = new Folders(ctx);
  if (options.makeFolder === true) await folders.make(fullPath, { parents: true });
  else if (!(await folders.exists(fullPath))) {
    throw new NotFoundError(
      `folder ${fullPath} does not exist; pass makeFolder: true to create it`,
      {
        folder: fullPath,
      },
    );
  }
  const existing = await fetchLatest(ctx.http, {
    entity: folder.entity,
    project: folder.path,
    collection,
    type,
  });
  if (existing && strategy === 'error') {
    const ref = `${existing.entity}/${existing.project}/${existing.collection}:v${existing.index}`;
    throw new ConflictError(
      `artifact ${ref} already exists in folder ${fullPath} (conflictStrategy 'error')`,
      { existing: ref, versionId: existing.id },
    );
  }
  return { folder, fullPath, strategy, existing };
}
