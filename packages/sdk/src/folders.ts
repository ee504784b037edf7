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

export interface ListFolderOptions {
  /** Entries asked for per request while gathering every page (1–1000, default 1000). */
  pageSize?: number;
}

export interface FolderPageOptions {
  /** Entries in this page (1–1000, default 1000). */
  limit?: number;
  /** `nextCursor` of the page before. */
  cursor?: string;
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

  /**
   * All of a folder's subfolders and artifacts (following every page); default the client
   * entity's root folder.
   */
  async list(path?: string, options: ListFolderOptions = {}): Promise<FolderListing> {
    let page = await this.listPage(path, { limit: options.pageSize });
    const all: FolderListing = {
      folder: page.folder,
      folders: [...page.folders],
      artifacts: [...page.artifacts],
    };
    while (page.nextCursor !== undefined) {
      page = await this.listPage(path, { limit: options.pageSize, cursor: page.nextCursor });
      all.folders.push(...page.folders);
      all.artifacts.push(...page.artifacts);
    }
    return all;
  }

  /** One page of a folder: subfolders by path first, then artifacts by name. */
  async listPage(path?: string, options: FolderPageOptions = {}): Promise<FolderListing> {
    const f = this.resolve(path ?? `/${this.ctx.entity}`);
    return this.ctx.http.json<FolderListing>('GET', '/folders', {
      query: {
        entity: f.entity,
        path: f.path,
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
      },
    });
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.listPage(path, { limit: 1 });
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
