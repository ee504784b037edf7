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
        throw new PathEscapeError(
          `refusing to write ${JSON.stringify(path)}: ${current} is a symlink that leads outside the download root ${rootReal}`,
          { rule: 'path.symlink', path },
        );
      }
    } else if (!st.isDirectory()) {
      throw new CairnError(
        'CONFLICT',
        `cannot write ${JSON.stringify(path)}: ${current} exists and is not a directory`,
        { path },
      );
    }
    made.add(current);
  }
  const dest = join(rootReal, ...segments);
  if (!isInside(rootReal, dest)) {
    throw new PathEscapeError(`entry path ${JSON.stringify(path)} leaves the root ${rootReal}`, {
      rule: 'path.parent',
      path,
    });
  }
  return dest;
}
