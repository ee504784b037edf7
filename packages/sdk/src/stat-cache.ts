import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { FileHashes } from './hashing.js';

/**
 * Remembers the hashes of files by their identity on disk (path, device, inode, size, mtime and
 * ctime in nanoseconds), so re-logging an unchanged tree hashes nothing. Any change to the file
 * (a write, a rename over it, a chmod) changes ctime and invalidates the record.
 * Persisted as one line per file: `key\tmd5\tsha256`, rewritten atomically on save.
 */
export const STAT_CACHE_FILE = 'stat-cache-v1.tsv';
const MAX_RECORDS = 2_000_000;

export function statKey(absPath: string, st: BigIntStats): string {
  return `${absPath}|${st.dev}|${st.ino}|${st.size}|${st.mtimeNs}|${st.ctimeNs}`;
}

/** Paths added to a draft are already absolute and normalized; others are resolved. */
function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}

export async function statBig(path: string): Promise<BigIntStats> {
  return stat(path, { bigint: true });
}

/**
 * The same, synchronously: for thousands of small files a loop of stat calls is far faster than
 * as many promise round trips through the libuv threadpool. Throws as `statBig` rejects.
 */
export function statBigSync(path: string): BigIntStats {
  return statSync(path, { bigint: true });
}

/**
 * Filesystem clocks are coarse (a few ms on ext4): a file modified again within the same tick
 * keeps its mtime. Like git's "racy" check, a hash is only remembered when the file's last change
 * is older than this margin before hashing started.
 */
export const RACY_MARGIN_NS = 100_000_000n;

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

export function isRacy(st: BigIntStats, hashStartedNs: bigint): boolean {
  const limit = hashStartedNs - RACY_MARGIN_NS;
  return st.mtimeNs >= limit || st.ctimeNs >= limit;
}

/** True when two stats describe the same unchanged file. */
export function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

export class StatCache {
  private records = new Map<string, { md5: string; sha256: string }>();
  private loaded = false;
  private dirty = false;
  private readonly file: string;

  constructor(cacheDir: string) {
    this.file = join(cacheDir, STAT_CACHE_FILE);
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    // indexOf rather than split: 10^5 lines load in a few milliseconds, with no arrays per line.
    let at = 0;
    while (at < text.length) {
      let end = text.indexOf('\n', at);
      if (end === -1) end = text.length;
      const t1 = text.indexOf('\t', at);
      const t2 = t1 === -1 ? -1 : text.indexOf('\t', t1 + 1);
      if (t1 !== -1 && t2 !== -1 && t2 < end) {
        const third = text.indexOf('\t', t2 + 1);
        if (third === -1 || third > end) {
          this.records.set(text.slice(at, t1), {
            md5: text.slice(t1 + 1, t2),
            sha256: text.slice(t2 + 1, end),
          });
        }
      }
      at = end + 1;
    }
  }

  async get(path: string, st: BigIntStats): Promise<FileHashes | undefined> {
    return this.lookup(path, st);
  }

  /** `get` without the promise (the records are in memory once loaded). */
  lookup(path: string, st: BigIntStats): FileHashes | undefined {
    this.load();
    const r = this.records.get(statKey(absolute(path), st));
    return r ? { ...r, size: Number(st.size) } : undefined;
  }

  /** Records hashes computed from bytes read after `hashStartedNs`, unless the stat is racy. */
  async set(
    path: string,
    st: BigIntStats,
    hashes: FileHashes,
    hashStartedNs: bigint,
  ): Promise<void> {
    this.record(path, st, hashes, hashStartedNs);
  }

  /** `set` without the promise. */
  record(path: string, st: BigIntStats, hashes: FileHashes, hashStartedNs: bigint): void {
    if (isRacy(st, hashStartedNs)) return;
    this.load();
    const key = statKey(absolute(path), st);
    // Re-insert so the newest records survive the size cap.
    this.records.delete(key);
    this.records.set(key, { md5: hashes.md5, sha256: hashes.sha256 });
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const lines: string[] = [];
    let skip = this.records.size - MAX_RECORDS;
    for (const [key, r] of this.records) {
      if (skip-- > 0 || key.includes('\n') || key.includes('\t')) continue;
      lines.push(`${key}\t${r.md5}\t${r.sha256}\n`);
    }
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, lines.join(''));
    await rename(tmp, this.file);
  }
}
