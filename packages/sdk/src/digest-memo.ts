import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DraftItem } from './draft-items.js';
import type { FileStat } from './stat-cache.js';
import { isRacy, statFileSync } from './stat-cache.js';

/**
 * Remembers the manifest digest of a whole draft by the identity of its files: every local
 * file's entry path and stat (device, inode, size, mtime, ctime: the file, whatever path it was
 * reached by), and every other entry's path and digest. Re-logging an unchanged tree then needs neither the stat cache's
 * records nor a manifest: one key, one digest, compared with `latest`'s. The trust is the stat
 * cache's: a file whose stat has not moved still holds the bytes it was hashed from, and nothing
 * is remembered from a stat too recent to tell (the racy check).
 */
export const DIGEST_MEMO_FILE = 'manifest-digests-v1.tsv';
const MAX_RECORDS = 512;

/** One local file as the key sees it. */
export interface KeyedFile {
  path: string;
  stat: FileStat;
}

/**
 * The key of a draft's content: SHA-256 over its files' entry paths and stats and its other
 * entries. The stats go in as binary doubles: turning 5 × 10^4 of them into decimal text cost
 * more than everything else a re-log does after listing the files.
 */
export function draftKey(
  files: readonly KeyedFile[],
  others: Iterable<{ path: string; digest: string }>,
): string {
  const paths: string[] = [];
  const numbers = new Float64Array(files.length * 5);
  let at = 0;
  for (const f of files) {
    const s = f.stat;
    paths.push(f.path);
    numbers[at++] = s.dev;
    numbers[at++] = s.ino;
    numbers[at++] = s.size;
    numbers[at++] = s.mtimeMs;
    numbers[at++] = s.ctimeMs;
  }
  const entries: string[] = [];
  for (const e of others) entries.push(e.path, e.digest);
  return createHash('sha256')
    .update(`${files.length}\0${paths.join('\0')}\0`)
    .update(new Uint8Array(numbers.buffer))
    .update(JSON.stringify(entries))
    .digest('hex');
}

/**
 * The key of a draft's items as they are now: the stat taken when a file was added where there
 * is one (addDir's), a fresh one otherwise. Undefined when a file cannot be statted: the normal
 * path reports that.
 */
export function draftKeyOfItems(items: readonly DraftItem[]): string | undefined {
  const files: KeyedFile[] = [];
  const others: { path: string; digest: string }[] = [];
  for (const item of items) {
    if (item.kind === 'entry') {
      others.push(item.entry);
      continue;
    }
    let stat = item.addedStat;
    if (!stat) {
      try {
        stat = statFileSync(item.localPath);
      } catch {
        return undefined;
      }
    }
    files.push({ path: item.path, stat });
  }
  return draftKey(files, others);
}

/** True when none of these stats is too recent to trust as of `hashStartedMs` (see isRacy). */
export function allSettled(stats: Iterable<FileStat>, hashStartedMs: number): boolean {
  for (const s of stats) if (isRacy(s, hashStartedMs)) return false;
  return true;
}

/** `key\tdigest` lines in the cache directory; the newest MAX_RECORDS kept. */
export class DigestMemo {
  private records: Map<string, string> | undefined;
  private readonly file: string;

  constructor(private readonly cacheDir: string) {
    this.file = join(cacheDir, DIGEST_MEMO_FILE);
  }

  private load(): Map<string, string> {
    if (this.records) return this.records;
    const records = new Map<string, string>();
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      // No memo yet (or unreadable): every draft is hashed through the stat cache.
    }
    for (const line of text.split('\n')) {
      const [key, digest, extra] = line.split('\t');
      if (key && digest && extra === undefined && /^[0-9a-f]{64}$/.test(key)) {
        records.set(key, digest);
      }
    }
    this.records = records;
    return records;
  }

  get(key: string): string | undefined {
    return this.load().get(key);
  }

  /** Remembers a digest; a failure to write only means the next log hashes through the stat cache. */
  set(key: string, digest: string): void {
    const records = this.load();
    if (records.get(key) === digest) return;
    records.delete(key);
    records.set(key, digest);
    while (records.size > MAX_RECORDS) records.delete(records.keys().next().value as string);
    const text = [...records].map(([k, d]) => `${k}\t${d}\n`).join('');
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    try {
      mkdirSync(this.cacheDir, { recursive: true });
      writeFileSync(tmp, text);
      renameSync(tmp, this.file);
    } catch {
      // The memo is only a shortcut.
    }
  }
}
