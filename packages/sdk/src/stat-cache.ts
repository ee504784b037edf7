import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { FileHashes } from './hashing.js';

/**
 * Remembers the hashes of files by their identity on disk (path, device, inode, size, mtime and
 * ctime), so re-logging an unchanged tree hashes nothing. Any change to the file (a write, a
 * rename over it, a chmod) changes ctime and invalidates the record.
 * Persisted as one line per file: `key\tmd5\tsha256`, rewritten atomically on save.
 *
 * Times are the stat's milliseconds as doubles (sub-microsecond resolution today), not BigInt
 * nanoseconds: the kernel stamps files from a clock that ticks every few milliseconds anyway (hence
 * the racy check below), and BigInt stats cost a third more per file on a 10^4-file re-log.
 */
export const STAT_CACHE_FILE = 'stat-cache-v2.tsv';

/** What the stat cache and the change checks read of a stat. */
export type FileStat = Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>;
const MAX_RECORDS = 2_000_000;

/** One file's record: the stat it had when hashed, and its hashes. */
interface StatRecord extends FileStat {
  md5: string;
  sha256: string;
}

/** The persisted line's key: the path, then the stat fields, `|`-separated (the path may hold `|`). */
function keyOf(absPath: string, st: FileStat): string {
  return `${absPath}|${st.dev}|${st.ino}|${st.size}|${st.mtimeMs}|${st.ctimeMs}`;
}

/** Paths added to a draft are already absolute and normalized; others are resolved. */
function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}

export async function statFile(path: string): Promise<Stats> {
  return stat(path);
}

/**
 * The same, synchronously: for thousands of small files a loop of stat calls is far faster than
 * as many promise round trips through the libuv threadpool. Throws as `statFile` rejects.
 */
export function statFileSync(path: string): Stats {
  return statSync(path);
}

/**
 * Filesystem clocks are coarse (a few ms on ext4): a file modified again within the same tick
 * keeps its mtime. Like git's "racy" check, a hash is only remembered when the file's last change
 * is older than this margin before hashing started.
 */
export const RACY_MARGIN_MS = 100;

export function nowMs(): number {
  return Date.now();
}

export function isRacy(st: FileStat, hashStartedMs: number): boolean {
  const limit = hashStartedMs - RACY_MARGIN_MS;
  return st.mtimeMs >= limit || st.ctimeMs >= limit;
}

/** True when two stats describe the same unchanged file. */
export function sameFile(a: FileStat, b: FileStat): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs
  );
}

/**
 * Records are keyed by path (one per file: the stat it was hashed at), so a lookup is one map
 * get of a string already hashed and five number comparisons, not a key string built per file.
 */
export class StatCache {
  private records = new Map<string, StatRecord>();
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
        if (third === -1 || third > end) this.parse(text.slice(at, t1), text, t1, t2, end);
      }
      at = end + 1;
    }
  }

  private parse(key: string, text: string, t1: number, t2: number, end: number): void {
    const cuts: number[] = [];
    let at = key.length;
    for (let k = 0; k < 5; k++) {
      at = key.lastIndexOf('|', at - 1);
      if (at <= 0) return;
      cuts.push(at);
    }
    const [c5, c4, c3, c2, c1] = cuts as [number, number, number, number, number];
    const rec: StatRecord = {
      dev: Number(key.slice(c1 + 1, c2)),
      ino: Number(key.slice(c2 + 1, c3)),
      size: Number(key.slice(c3 + 1, c4)),
      mtimeMs: Number(key.slice(c4 + 1, c5)),
      ctimeMs: Number(key.slice(c5 + 1)),
      md5: text.slice(t1 + 1, t2),
      sha256: text.slice(t2 + 1, end),
    };
    if (Object.values(rec).some((v) => typeof v === 'number' && !Number.isFinite(v))) return;
    this.records.set(key.slice(0, c1), rec);
  }

  async get(path: string, st: FileStat): Promise<FileHashes | undefined> {
    return this.lookup(path, st);
  }

  /** `get` without the promise (the records are in memory once loaded). */
  lookup(path: string, st: FileStat): FileHashes | undefined {
    this.load();
    const r = this.records.get(absolute(path));
    if (r === undefined || !sameFile(r, st)) return undefined;
    return { md5: r.md5, sha256: r.sha256, size: st.size };
  }

  /** Records hashes computed from bytes read after `hashStartedMs`, unless the stat is racy. */
  async set(path: string, st: FileStat, hashes: FileHashes, hashStartedMs: number): Promise<void> {
    this.record(path, st, hashes, hashStartedMs);
  }

  /** `set` without the promise. */
  record(path: string, st: FileStat, hashes: FileHashes, hashStartedMs: number): void {
    if (isRacy(st, hashStartedMs)) return;
    this.load();
    const abs = absolute(path);
    // Re-insert so the newest records survive the size cap.
    this.records.delete(abs);
    this.records.set(abs, {
      dev: st.dev,
      ino: st.ino,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      md5: hashes.md5,
      sha256: hashes.sha256,
    });
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const lines: string[] = [];
    let skip = this.records.size - MAX_RECORDS;
    for (const [path, r] of this.records) {
      if (skip-- > 0 || path.includes('\n') || path.includes('\t')) continue;
      lines.push(`${keyOf(path, r)}\t${r.md5}\t${r.sha256}\n`);
    }
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, lines.join(''));
    await rename(tmp, this.file);
  }
}
