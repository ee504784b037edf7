import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { join, relative, sep, isAbsolute } from 'node:path';
import { CairnError, PathEscapeError, normalizeEntryPath } from '@cairn/core';

/** Creates `root` if needed and returns its real path (symlinks resolved). */
export async function realRoot(root: string): Promise<string> {
  await mkdir(root, { recursive: true });
  return realpath(root);
}

function isInside(rootReal: string, candidate: string): boolean {
  const rel = relative(rootReal, candidate);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Resolves an entry path to a destination inside `rootReal`, creating parent directories. Every
 * parent is checked: a symlink in the root that leads outside it is refused (PATH_ESCAPE), so no
 * byte is ever written outside the root. `made` caches directories already checked.
 */
export async function safeDestination(
  rootReal: string,
  entryPath: string,
  made: Set<string> = new Set(),
): Promise<string> {
  const path = normalizeEntryPath(entryPath);
  const segments = path.split('/');
  let current = rootReal;
  for (const segment of segments.slice(0, -1)) {
    current = join(current, segment);
    if (made.has(current)) continue;
    let st;
    try {
      st = await lstat(current);
    } catch {
      st = undefined;
    }
    if (st === undefined) {
      await mkdir(current);
    } else if (st.isSymbolicLink()) {
      const target = await realpath(current).catch(() => undefined);
      if (target === undefined || !isInside(rootReal, target)) {
        throw symlinkEscape(path, current, rootReal);
      }
    } else if (!st.isDirectory()) {
      throw notADirectory(path, current);
    }
    made.add(current);
  }
  return insideRoot(rootReal, path, segments);
}

function symlinkEscape(path: string, current: string, rootReal: string): PathEscapeError {
  return new PathEscapeError(
    `refusing to write ${JSON.stringify(path)}: ${current} is a symlink that leads outside the download root ${rootReal}`,
    { rule: 'path.symlink', path },
  );
}

function notADirectory(path: string, current: string): CairnError {
  return new CairnError(
    'CONFLICT',
    `cannot write ${JSON.stringify(path)}: ${current} exists and is not a directory`,
    { path },
  );
}

function insideRoot(rootReal: string, path: string, segments: string[]): string {
  // Segments of a normalized entry path simply concatenate (path.join would normalize again,
  // and path.relative is the dearest call of a 10^4-file download); the check of every segment
  // below stays as a second line of defence.
  const base = rootReal.endsWith(sep) ? rootReal : rootReal + sep;
  const dest = base + segments.join(sep);
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes(sep))) {
    throw new PathEscapeError(`entry path ${JSON.stringify(path)} leaves the root ${rootReal}`, {
      rule: 'path.parent',
      path,
    });
  }
  return dest;
}

/**
 * `safeDestination` with synchronous calls, for downloads of many files: the same checks, and
 * with `made` shared across calls each parent directory is looked at once.
 */
export function safeDestinationSync(
  rootReal: string,
  entryPath: string,
  made: Set<string> = new Set(),
): string {
  const path = normalizeEntryPath(entryPath);
  let current = rootReal.endsWith(sep) ? rootReal.slice(0, -1) : rootReal;
  if (sep === '/') {
    // Most of a download's paths share a parent already checked: a normal path then simply
    // appends (its segments hold no '', '.', '..' or separator: normalizeEntryPath).
    const slash = path.lastIndexOf('/');
    if (slash === -1 || made.has(`${current}/${path.slice(0, slash)}`)) return `${current}/${path}`;
  }
  const segments = path.split('/');
  for (let i = 0; i < segments.length - 1; i++) {
    current = current + sep + (segments[i] as string);
    if (made.has(current)) continue;
    const st = lstatSync(current, { throwIfNoEntry: false });
    if (st === undefined) {
      mkdirSync(current);
    } else if (st.isSymbolicLink()) {
      let target: string | undefined;
      try {
        target = realpathSync(current);
      } catch {
        target = undefined;
      }
      if (target === undefined || !isInside(rootReal, target)) {
        throw symlinkEscape(path, current, rootReal);
      }
    } else if (!st.isDirectory()) {
      throw notADirectory(path, current);
    }
    made.add(current);
  }
  return insideRoot(rootReal, path, segments);
}
