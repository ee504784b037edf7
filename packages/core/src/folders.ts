import { PathEscapeError, ValidationError } from './errors.js';
import { validateName } from './validation.js';

/**
 * t9k folder paths on Cairn's data model: `/alice/vision/mnist` is entity `alice`, project path
 * `vision/mnist` (DESIGN.md "Naming"). A path without a leading `/` is taken under the current
 * user (`mnist` → `/<user>/mnist`), as t9k's `upload(folder=…)` does.
 */
export interface FolderPath {
  entity: string;
  /** The project path below the entity, '' for the entity's root folder. */
  path: string;
}

/** Where the server keeps retired projects and collections; `~` is never valid in a name. */
export const TOMBSTONE_PREFIX = '~';

export const CONFLICT_STRATEGIES = ['skip', 'error', 'new', 'replace', 'version'] as const;
export type ConflictStrategy = (typeof CONFLICT_STRATEGIES)[number];

export function validateConflictStrategy(value: unknown): ConflictStrategy {
  if (typeof value === 'string' && (CONFLICT_STRATEGIES as readonly string[]).includes(value)) {
    return value as ConflictStrategy;
  }
  throw new ValidationError(
    `conflictStrategy must be one of ${CONFLICT_STRATEGIES.map((s) => `'${s}'`).join(', ')}, got ${JSON.stringify(value)}`,
    { rule: 'conflictStrategy' },
  );
}

/** Resolves a folder path typed by a user; `currentUser` fills in paths without a leading `/`. */
export function parseFolderPath(value: unknown, currentUser: string): FolderPath {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(
      `folder path must be a non-empty string, got ${JSON.stringify(value)}`,
      {
        rule: 'folder.path',
      },
    );
  }
  if (value.includes('\\') || value.includes('\0')) {
    throw new ValidationError(
      `folder path ${JSON.stringify(value)} must use '/' between folder names and contain no NUL`,
      { rule: 'folder.path' },
    );
  }
  const absolute = value.startsWith('/');
  // One trailing '/' is how people write directories; it names the same folder.
  const body = (absolute ? value.slice(1) : value).replace(/\/$/, '');
  const segments = body === '' ? [] : body.split('/');
  for (const s of segments) {
    if (s === '..' || s === '.') {
      throw new PathEscapeError(
        `folder path ${JSON.stringify(value)} contains '${s}'; folder paths name folders from the root (/<user>/…) and cannot step up or stay in place`,
        { rule: 'folder.parent', path: value },
      );
    }
    if (s === '') {
      throw new ValidationError(`folder path ${JSON.stringify(value)} has an empty segment`, {
        rule: 'folder.segments',
      });
    }
  }
  if (!absolute) segments.unshift(currentUser);
  const [entity, ...rest] = segments;
  if (entity === undefined) {
    throw new ValidationError(`folder path ${JSON.stringify(value)} names no user (entity)`, {
      rule: 'folder.entity',
    });
  }
  validateName(entity, 'entity name');
  rest.forEach((s) => validateName(s, 'folder name'));
  return { entity, path: rest.join('/') };
}

export function formatFolderPath(f: FolderPath): string {
  return f.path === '' ? `/${f.entity}` : `/${f.entity}/${f.path}`;
}

/** The parent of a folder path ('' for a top-level folder); undefined for the root itself. */
export function parentFolderPath(path: string): string | undefined {
  if (path === '') return undefined;
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** True when `path` is `folder` or lies below it ('' is the root, above everything). */
export function isInFolder(path: string, folder: string): boolean {
  return folder === '' || path === folder || path.startsWith(`${folder}/`);
}
