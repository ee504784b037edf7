import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { CairnError } from '@cairn/core';
import type { ManifestEntry } from '@cairn/core';
import { hashBytes, hashFile } from './hashing.js';
import type { FileHashes } from './hashing.js';
import type { DraftItem, LocalFileItem } from './draft-items.js';
import { runPool } from './pool.js';
import { nowMs, sameFile, statFile, statFileSync } from './stat-cache.js';
import type { FileStat, StatCache } from './stat-cache.js';
import { ProgressReporter } from './progress.js';
import type { ProgressListener } from './progress.js';

/** Files below this size are read whole, hashed and (when uploaded) sent from the same bytes. */
export const SMALL_FILE_BYTES = 1 << 20;
/** Bytes of small files kept in memory between hashing and uploading. */
export const KEEP_BYTES_BUDGET = 96 * 1024 * 1024;
const LARGE_HASH_CONCURRENCY = 2;

export interface PreparedFile {
  item: LocalFileItem;
  hashes: FileHashes;
  stat: FileStat;
  /** The exact bytes that were hashed, for small files within the memory budget. */
  bytes?: Uint8Array;
  /**
   * Set on a large file hashed with SHA-256 only (`deferLargeMd5`): `hashes.md5` is empty until
   * the server that stores the blob tells it (`settleMd5`). `startedMs` is when hashing began,
   * for the stat cache's racy check.
   */
  md5Pending?: { startedMs: number };
}

export interface PrepareOptions {
  /**
   * Resolves true when large files should be hashed with SHA-256 only, their MD5 left to the
   * server (which computes it anyway while it verifies the upload). Asked only if a large file
   * needs hashing.
   */
  deferLargeMd5?: Promise<boolean>;
  /**
   * Resolves to a function that hashes a large file some other way (by streaming it to the
   * server, which answers both hashes: StreamedLarge), or undefined to read and hash it here.
   */
  largeHasher?: Promise<
    ((item: LocalFileItem, onBytes: (n: number) => void) => Promise<FileHashes>) | undefined
  >;
}

/** Fills in the MD5 of a file hashed with SHA-256 only and remembers both in the stat cache. */
export function settleMd5(p: PreparedFile, md5: string, statCache: StatCache): void {
  const pending = p.md5Pending;
  if (!pending) return;
  p.hashes.md5 = md5;
  p.item.hashes = p.hashes;
  p.item.size = p.hashes.size;
  delete p.md5Pending;
  statCache.record(p.item.localPath, p.stat, p.hashes, pending.startedMs);
}

export function changedWhileLogged(localPath: string, what: string): CairnError {
  return new CairnError(
    'DIGEST_MISMATCH',
    `${localPath} changed while being logged (${what}); nothing was committed for it. Log again once the file is stable, or add it with policy 'mutable' to snapshot it`,
    { localPath },
  );
}

/** Gives timers and I/O callbacks (a progress bar) a turn between runs of synchronous work. */
export const YIELD_EVERY = 512;
export function yieldToLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

function vanished(item: LocalFileItem): CairnError {
  return new CairnError(
    'NOT_FOUND',
    `${item.localPath} (added as ${JSON.stringify(item.path)}) no longer exists`,
    { localPath: item.localPath, path: item.path },
  );
}

/**
 * Hashes every local file of a draft, consulting the stat cache first so unchanged files are
 * not read. Each file is statted before and after reading; a change in between is an error,
 * never a digest for bytes that are not the file's.
 *
 * Stat-cache hits and small files are handled with synchronous calls in one loop: for thousands
 * of 4 KiB files, open/read/close through the threadpool costs more than the hashing itself.
 * Large files are streamed (never held whole) a few at a time.
 */
export async function prepareFiles(
  items: readonly DraftItem[],
  statCache: StatCache,
  keepBytes: boolean,
  onProgress?: ProgressListener,
  /** Called with each small file hashed now (not from the stat cache), e.g. to send it early. */
  onFresh?: (p: PreparedFile) => void,
  options: PrepareOptions = {},
): Promise<PreparedFile[]> {
  const files = items.filter((i): i is LocalFileItem => i.kind === 'file');
  const progress = new ProgressReporter(
    onProgress,
    'hashing',
    files.length,
    files.reduce((n, f) => n + f.size, 0),
  );
  const out: PreparedFile[] = new Array(files.length);
  const large: { item: LocalFileItem; index: number }[] = [];
  const slab = new Slab();
  let kept = 0;
  /** A small file read whole and unchanged across its read: hashed, recorded, offered. */
  const commitSmall = (
    i: number,
    item: LocalFileItem,
    bytes: Buffer,
    after: FileStat,
    started: number,
  ): void => {
    const hashes = hashBytes(bytes);
    statCache.record(item.localPath, after, hashes, started);
    const keep = keepBytes && kept + bytes.length <= KEEP_BYTES_BUDGET;
    if (keep) kept += bytes.length;
    out[i] = keep ? { item, hashes, stat: after, bytes } : { item, hashes, stat: after };
    onFresh?.(out[i] as PreparedFile);
    progress.add(1, hashes.size);
  };
  for (let i = 0; i < files.length; i++) {
    if (i > 0 && i % YIELD_EVERY === 0) await yieldToLoop();
    const item = files[i] as LocalFileItem;
    const added = item.addedStat;
    let fresh: { bytes: Buffer; after: FileStat; started: number } | undefined;
    if (added) {
      item.addedStat = undefined;
      const hit = statCache.lookup(item.localPath, added);
      if (hit) {
        out[i] = { item, hashes: hit, stat: added };
        progress.add(1, hit.size);
        continue;
      }
      // The listing's stat serves as the "before" stat: a file whose fstat after the read still
      // equals it did not change from the listing to the end of the read, so no second stat is
      // needed. One that moved meanwhile takes the full path below (a fresh stat, a new read).
      if (added.size < SMALL_FILE_BYTES) {
        const started = nowMs();
        const read = readSmall(item, added, slab, false);
        if (read) fresh = { ...read, started };
      }
    }
    if (fresh) {
      commitSmall(i, item, fresh.bytes, fresh.after, fresh.started);
      continue;
    }
    let before: Stats;
    try {
      before = statFileSync(item.localPath);
    } catch {
      throw vanished(item);
    }
    const cached = statCache.lookup(item.localPath, before);
    if (cached) {
      out[i] = { item, hashes: cached, stat: before };
      progress.add(1, cached.size);
      continue;
    }
    if (before.size >= SMALL_FILE_BYTES) {
      large.push({ item, index: i });
      continue;
    }
    const started = nowMs();
    const { bytes, after } = readSmall(item, before, slab, true);
    commitSmall(i, item, bytes, after, started);
  }
  const deferMd5 = large.length > 0 && (await options.deferLargeMd5) === true;
  const hasher = large.length > 0 ? await options.largeHasher : undefined;
  await runPool(large, LARGE_HASH_CONCURRENCY, async ({ item, index }) => {
    const before = await statFile(item.localPath).catch(() => {
      throw vanished(item);
    });
    const started = nowMs();
    // A file sent while it is read takes a while: its bytes count as they go.
    let counted = 0;
    const hashes = hasher
      ? await hasher(item, (n) => {
          counted += n;
          progress.add(0, n);
        })
      : await hashFile(item.localPath, before.size, { md5: !deferMd5 });
    const after = checkUnchanged(item, before, hashes);
    if (deferMd5 && !hasher) {
      out[index] = { item, hashes, stat: after, md5Pending: { startedMs: started } };
    } else {
      statCache.record(item.localPath, after, hashes, started);
      out[index] = { item, hashes, stat: after };
    }
    progress.add(1, hashes.size - counted);
  });
  progress.done();
  for (const p of out) {
    if (p.md5Pending) continue;
    p.item.hashes = p.hashes;
    p.item.size = p.hashes.size;
  }
  return out;
}

/** Hands out the memory small files are read into, a megabyte at a time (fewer allocations). */
class Slab {
  private buf = Buffer.allocUnsafeSlow(0);
  private used = 0;

  take(size: number): Buffer {
    if (this.used + size > this.buf.length) {
      this.buf = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, size));
      this.used = 0;
    }
    const out = this.buf.subarray(this.used, this.used + size);
    this.used += size;
    return out;
  }
}
const SLAB_BYTES = 1 << 20;

/**
 * Reads a small file whole: open, read exactly the size stat reported, fstat the open file,
 * close. The fstat is the "after" stat: same inode as the bytes read, and any move of size,
 * mtime or ctime since the first stat is an error (or, with `strict` false, undefined: the
 * caller stats afresh and reads again), never a digest of other bytes.
 */
function readSmall(
  item: LocalFileItem,
  before: FileStat,
  slab: Slab,
  strict: true,
): { bytes: Buffer; after: FileStat };
function readSmall(
  item: LocalFileItem,
  before: FileStat,
  slab: Slab,
  strict: false,
): { bytes: Buffer; after: FileStat } | undefined;
function readSmall(
  item: LocalFileItem,
  before: FileStat,
  slab: Slab,
  strict: boolean,
): { bytes: Buffer; after: FileStat } | undefined {
  let fd: number;
  try {
    fd = openSync(item.localPath, 'r');
  } catch {
    if (!strict) return undefined;
    throw vanished(item);
  }
  try {
    const size = before.size;
    const bytes = slab.take(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, bytes, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    const st = fstatSync(fd);
    // Only what the checks read is kept: 10^4 whole Stats (four Dates each) held to the end of a
    // log were promoted to the old generation for the collector to trace.
    const after: FileStat = {
      dev: st.dev,
      ino: st.ino,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
    };
    if (got !== size || !sameFile(before, after)) {
      if (!strict) return undefined;
      throw changedWhileLogged(item.localPath, 'its size or modification time moved while hashing');
    }
    return { bytes, after };
  } finally {
    closeSync(fd);
  }
}

/** Stats the file again after hashing; any move of size, mtime, ctime or inode is an error. */
function checkUnchanged(item: LocalFileItem, before: Stats, hashes: FileHashes): Stats {
  let after: Stats;
  try {
    after = statFileSync(item.localPath);
  } catch {
    throw changedWhileLogged(item.localPath, 'it disappeared while hashing');
  }
  if (!sameFile(before, after) || hashes.size !== before.size) {
    throw changedWhileLogged(item.localPath, 'its size or modification time moved while hashing');
  }
  return after;
}

export function entryOf(p: PreparedFile): ManifestEntry {
  return { path: p.item.path, digest: p.hashes.md5, size: p.hashes.size, sha256: p.hashes.sha256 };
}
