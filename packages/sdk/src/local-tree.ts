import { readdir, rm, rmdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { CairnError, isMd5Base64 } from '@cairn/core';
import type { ManifestEntry } from '@cairn/core';
import { hashFile } from './hashing.js';
import { runPool } from './pool.js';

/** Every non-directory below `root` as a POSIX relative path (symlinks are listed, not followed). */
export async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let items;
    try {
      items = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const item of items) {
      const p = join(dir, item.name);
      if (item.isDirectory()) await walk(p);
      else out.push(relative(root, p).split(sep).join('/'));
    }
  }
  await walk(root);
  return out.sort();
}

export interface VerifyReport {
  missing: string[];
  changed: string[];
  extra: string[];
}

/**
 * Checksums every file below `root` against the manifest. References whose digest is not an MD5
 * (an ETag or a URI) are checked for presence only, as W&B does.
 */
export async function verifyTree(
  root: string,
  entries: readonly ManifestEntry[],
): Promise<VerifyReport> {
  const onDisk = new Set(await listTree(root));
  const report: VerifyReport = { missing: [], changed: [], extra: [] };
  const byPath = new Map(entries.map((e) => [e.path, e]));
  for (const p of onDisk) if (!byPath.has(p)) report.extra.push(p);
  await runPool(entries, 8, async (e) => {
    if (!onDisk.has(e.path)) {
      report.missing.push(e.path);
      return;
    }
    if (!isMd5Base64(e.digest)) return;
    const h = await hashFile(join(root, ...e.path.split('/'))).catch(() => undefined);
    if (!h || h.md5 !== e.digest || h.size !== e.size) report.changed.push(e.path);
  });
  report.missing.sort();
  report.changed.sort();
  return report;
}

export function throwIfFailed(root: string, report: VerifyReport): void {
  const { missing, changed, extra } = report;
  if (missing.length + changed.length + extra.length === 0) return;
  const show = (what: string, list: string[]): string =>
    list.length === 0
      ? ''
      : ` ${list.length} ${what}: ${list.slice(0, 10).join(', ')}${list.length > 10 ? ', …' : ''}.`;
  throw new CairnError(
    'VERIFY_FAILED',
    `${root} does not match the artifact:${show('missing', missing)}${show('changed', changed)}${show('extra', extra)}`,
    { missing, changed, extra },
  );
}

/** Removes files below `root` that are not in `keep`, then the directories left empty. */
export async function removeExtras(root: string, keep: ReadonlySet<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const p of await listTree(root)) {
    if (keep.has(p)) continue;
    await rm(join(root, ...p.split('/')), { force: true });
    removed.push(p);
  }
  async function prune(dir: string): Promise<boolean> {
    const items = await readdir(dir, { withFileTypes: true });
    let empty = true;
    for (const item of items) {
      if (item.isDirectory() && (await prune(join(dir, item.name)))) continue;
      empty = false;
    }
    if (empty && dir !== root) await rmdir(dir).catch(() => undefined);
    return empty;
  }
  await prune(root);
  return removed;
}
