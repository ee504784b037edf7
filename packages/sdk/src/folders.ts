import {
  formatFolderPath,
  parentFolderPath,
  parseFolderPath,
  validateName,
  CairnError,
} from '@cairn/core';
import type { FolderDeleteResult, FolderInfo, FolderListing, FolderPath } from '@cairn/core';
import type { ClientContext } from './context.js';

export interface MakeFolderOptions {
  /** Create missing parents and accept an existing folder (t9k's `make_folder`, mkdir -p). */
  parents?: boolean;
}

export interface MoveFolderOptions {
  /** Create the destination's missing parents. */
  parents?: boolean;
}

export interface DeleteFolderOptions {
  /** Delete every artifact and subfolder below as well (otherwise a folder must be empty). */
  recursive?: boolean;
}

/**
 * The folder tree (t9k's folders) of a server. A folder is a project path: `/alice/vision/mnist`
 * is entity `alice`, project `vision/mnist`. Paths without a leading `/` are taken under the
 * client's entity (`mnist` → `/<entity>/mnist`).
 */
export class Folders {
  constructor(private readonly ctx: ClientContext) {}

  /** Where a path typed by a user points. */
  resolve(path: string): FolderPath {
    return parseFolderPath(path, this.ctx.entity);
  }

  async make(path: string, options: MakeFolderOptions = {}): Promise<FolderInfo> {
    const f = this.resolve(path);
    return this.ctx.http.json<FolderInfo>('POST', '/folders', {
      json: { entity: f.entity, path: f.path, parents: options.parents === true },
    });
  }

  /** The folder's subfolders and artifacts; default the client entity's root folder. */
  async list(path?: string): Promise<FolderListing> {
    const f = this.resolve(path ?? `/${this.ctx.entity}`);
    return this.ctx.http.json<FolderListing>('GET', '/folders', {
      query: { entity: f.entity, path: f.path },
    });
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.list(path);
      return true;
    } catch (err) {
      if (err instanceof CairnError && err.code === 'NOT_FOUND') return false;
      throw err;
    }
  }

  /** Moves a folder with everything below it (one transaction on the server). */
  async move(from: string, to: string, options: MoveFolderOptions = {}): Promise<FolderInfo> {
    const a = this.resolve(from);
    const b = this.resolve(to);
    return this.ctx.http.json<FolderInfo>('POST', '/folders/move', {
      json: {
        entity: a.entity,
        path: a.path,
        toEntity: b.entity,
        toPath: b.path,
        parents: options.parents === true,
      },
    });
  }

  /** Renames a folder in place: `rename('/alice/a/b', 'c')` makes it `/alice/a/c`. */
  async rename(path: string, newName: string): Promise<FolderInfo> {
    const f = this.resolve(path);
    const name = validateName(newName, 'folder name');
    const parent = parentFolderPath(f.path) ?? '';
    const to = formatFolderPath({
      entity: f.entity,
      path: parent === '' ? name : `${parent}/${name}`,
    });
    return this.move(formatFolderPath(f), to);
  }

  async delete(path: string, options: DeleteFolderOptions = {}): Promise<FolderDeleteResult> {
    const f = this.resolve(path);
    return this.ctx.http.json<FolderDeleteResult>('DELETE', '/folders', {
      query: { entity: f.entity, path: f.path, recursive: options.recursive === true },
    });
  }
}
