import {
  closeSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { chmod, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { CairnError, GatheredWrites } from '@cairn/core';
import { CachePacks, checkSha256 } from './cache-packs.js';
import type { CachePackWriter, EachOptions, WantedSmall } from './cache-packs.js';
import { copyVerified } from './local-copy.js';
import type { CopyTarget } from './local-copy.js';

export const DEFAULT_CACHE_MAX_BYTES = 10 * 1024 ** 3;
/** Use times (mtimes) of cached blobs are refreshed only when older than this. */
export const USE_TIME_GRAIN_MS = 60_000;

/**
 * The local blob cache: `<cacheDir>/blobs/ab/<sha256>`, each file written to a temp name while
 * its SHA-256 is checked, renamed into place and made read-only (0o444); small blobs that a
 * download fetched many at a time go into packs instead (`cache-packs.ts`). Files are placed
 * into a download root by copy (reflink where supported) or written from the bytes, never by
 * hardlink, so editing a downloaded file cannot corrupt the cache. Use refreshes a blob's (or a
 * pack's) mtime; eviction removes the oldest first.
 */
export class BlobCache {
  readonly dir: string;
  readonly maxBytes: number;
  readonly packs: CachePacks;
  /** Shard directories known to exist (created by this process or seen). */
  private readonly shards = new Set<string>();

  constructor(cacheDir: string, maxBytes = DEFAULT_CACHE_MAX_BYTES) {
    this.dir = join(cacheDir, 'blobs');
    this.maxBytes = maxBytes;
    this.packs = new CachePacks(cacheDir, USE_TIME_GRAIN_MS);
  }

  /**
   * The bytes of the small blobs of `wanted` the cache holds intact (packed, or in files of their
   * own), by SHA-256; the others are misses.
   */
  readSmallSync(wanted: readonly WantedSmall[]): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    const uncached = (sha: string): boolean => out.delete(sha);
    for (const [sha, bytes] of this.eachSmallSync(wanted, { uncached })) out.set(sha, bytes);
    return out;
  }

  /**
   * Each small blob of `wanted` the cache holds intact, with its bytes: packed ones first, then
   * files of their own. With `reuse`, a packed blob's bytes are valid only until the next one is
   * asked for: a download writes them out at once, reading 10^4 blobs through one buffer. See
   * `CachePacks.eachSync` for `uncached`.
   */
  *eachSmallSync(
    wanted: readonly WantedSmall[],
    opts: EachOptions = {},
  ): Generator<[string, Buffer]> {
    const found = new Set<string>();
    for (const [sha256, bytes] of this.packs.eachSync(wanted, opts)) {
      found.add(sha256);
      yield [sha256, bytes];
    }
    // A cache that holds few files of their own has few shard directories: one listing spares
    // a cold download of 10^4 small files as many failing stats.
    const shards = this.listShardsSync();
    for (const w of wanted) {
      if (found.has(w.sha256) || !shards.has(w.sha256.slice(0, 2))) continue;
      const p = this.lookupSync(w.sha256, w.size);
      if (p === undefined) continue;
      let bytes: Buffer;
      try {
        bytes = this.readSync(p, w.size);
      } catch {
        continue; // evicted between the stat and the read: a miss
      }
      found.add(w.sha256);
      yield [w.sha256, bytes];
    }
  }

  private listShardsSync(): Set<string> {
    try {
      return new Set(readdirSync(this.dir));
    } catch {
      return new Set(); // only packs, or nothing cached yet
    }
  }

  /** Where a download keeps the small blobs it fetched: new packs, visible once finished. */
  packWriter(): CachePackWriter {
    return this.packs.writer();
  }

  pathOf(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  /**
   * The cached file holding a blob — its own file (its use time refreshed) or the pack it is
   * in — or undefined when absent.
   */
  async lookup(sha256: string, size: number): Promise<string | undefined> {
    return this.lookupSync(sha256, size) ?? this.packs.pathOf(sha256, size);
  }

  /**
   * `lookup` with synchronous calls: a download of 10^4 small files looks up 10^4 blobs, and a
   * loop of stat calls is far cheaper than as many promises through the threadpool.
   */
  lookupSync(sha256: string, size: number): string | undefined {
    const p = this.pathOf(sha256);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.size !== size) return undefined;
    // A use time this fresh is left alone: eviction order needs no finer grain, and a download
    // of 10^4 cached blobs would otherwise write 10^4 inodes just to say they were read.
    const nowMs = Date.now();
    if (nowMs - st.mtimeMs < USE_TIME_GRAIN_MS) return p;
    const now = new Date(nowMs);
    try {
      utimesSync(p, now, now);
    } catch {
      // Another process evicted it just now; the bytes we return a path to may be gone, which
      // the caller's copy reports. Not refreshing the use time is harmless.
    }
    return p;
  }

  /** The bytes of a cached small blob (its size known from `lookupSync`). */
  readSync(path: string, size: number): Buffer {
    return readExactlySync(path, size);
  }

  /**
   * A writer for one blob: feed chunks, then `commit()` checks the hash and renames into place;
   * with `also`, a download's destination is written from the same chunks.
   */
  async writer(sha256: string, also?: AlsoWrite): Promise<BlobWriter> {
    const final = this.pathOf(sha256);
    await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true });
    return new BlobWriter(final, sha256, 0o444, also);
  }

  /**
   * Caches a blob from a file of this machine (a co-located server's object) by kernel copies,
   * SHA-256 checked; with `also`, a download's destination is copied beside it. Returns the
   * cached file.
   */
  async copyIn(sha256: string, src: string, size: number, also?: AlsoWrite): Promise<string> {
    const final = this.pathOf(sha256);
    await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true });
    const tmp = `${final}.${randomBytes(6).toString('hex')}.tmp`;
    await copyVerified(src, sha256, size, [
      { tmp, path: final, mode: 0o444 },
      ...(also ? [also] : []),
    ]);
    return final;
  }

  /** Stores a small blob held in memory (SHA-256 checked), read-only. */
  async putBytes(sha256: string, bytes: Uint8Array): Promise<void> {
    this.putBytesSync(sha256, bytes);
  }

  /**
   * Stores a small blob held in memory, synchronously: SHA-256 checked, then created read-only
   * at its final name with O_EXCL and written in one call (no temp name and rename: a download
   * of 10^4 files would pay 10^4 more metadata updates). A file under a blob's name counts only
   * when it has the blob's size, which it reaches only once every byte is written; one of
   * another size (a writer killed midway) is replaced.
   */
  putBytesSync(sha256: string, bytes: Uint8Array): void {
    checkSha256(sha256, bytes);
    const shard = sha256.slice(0, 2);
    if (!this.shards.has(shard)) {
      mkdirSync(join(this.dir, shard), { recursive: true });
      this.shards.add(shard);
    }
    const final = this.pathOf(sha256);
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(final, bytes, { mode: 0o444, flag: 'wx' });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          // Created but not fully written (a full disk): never leave a short blob behind.
          try {
            rmSync(final, { force: true });
          } catch {
            // nothing was created
          }
          throw err;
        }
      }
      if (statSync(final, { throwIfNoEntry: false })?.size === bytes.length) return;
      if (attempt > 0) return; // another writer keeps replacing it; ours is only a cache entry
      rmSync(final, { force: true });
    }
  }

  /** Evicts least recently used blobs until the cache holds at most `maxBytes`. */
  async evict(keep: ReadonlySet<string> = new Set()): Promise<{ removed: number; bytes: number }> {
    const files: { path: string; size: number; used: number; sha: string }[] = [];
    let total = 0;
    // Synchronous scan: one stat per cached blob, far cheaper as a loop than as promises.
    for (const shard of this.listShardsSync()) {
      let names: string[];
      try {
        names = readdirSync(join(this.dir, shard));
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.endsWith('.tmp')) continue;
        const p = join(this.dir, shard, name);
        const st = statSync(p, { throwIfNoEntry: false });
        if (!st) continue;
        files.push({ path: p, size: st.size, used: st.mtimeMs, sha: name });
        total += st.size;
      }
    }
    const packs = this.packs.list();
    for (const p of packs) total += p.size;
    if (total <= this.maxBytes) return { removed: 0, bytes: 0 };
    // Packs go whole; one holding any blob to keep stays.
    const all: { size: number; used: number; keep: boolean; remove: () => Promise<void> }[] = [
      ...files.map((f) => ({
        size: f.size,
        used: f.used,
        keep: keep.has(f.sha),
        remove: () => rm(f.path, { force: true }),
      })),
      ...packs.map((p) => ({
        size: p.size,
        used: p.usedMs,
        keep: p.sha256s.some((s) => keep.has(s)),
        remove: async () => this.packs.drop(p.name),
      })),
    ];
    all.sort((a, b) => a.used - b.used);
    let removed = 0;
    let bytes = 0;
    for (const f of all) {
      if (total <= this.maxBytes) break;
      if (f.keep) continue;
      await f.remove();
      total -= f.size;
      bytes += f.size;
      removed++;
    }
    return { removed, bytes };
  }
}

export { checkSha256 };

/** Reads exactly `size` bytes of a file (open, read, close); fails if it holds fewer. */
export function readExactlySync(path: string, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    while (got < size) {
      const n = readSync(fd, out, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got !== size) {
      throw new CairnError('DIGEST_MISMATCH', `${path} holds ${got} bytes, expected ${size}`, {
        path,
      });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a small blob already in memory to `finalPath` through a temp name, after checking its
 * SHA-256: one open, write and rename instead of a stream per blob.
 */
export async function putBlobBytes(
  finalPath: string,
  sha256: string,
  bytes: Uint8Array,
  mode: number,
): Promise<void> {
  checkSha256(sha256, bytes);
  const tmp = `${finalPath}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, bytes, { mode });
    await rename(tmp, finalPath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** A second file a blob is written to while it arrives: a download's destination. */
export type AlsoWrite = CopyTarget;

/** One temp file written from arriving chunks, gathered into large writes (GatheredWrites). */
class TempFile {
  private readonly fh: Promise<FileHandle>;
  private readonly writes: GatheredWrites;

  constructor(readonly tmp: string) {
    this.fh = open(tmp, 'w', 0o644);
    // A failed open surfaces through the first batch's write.
    this.fh.catch(() => undefined);
    this.writes = new GatheredWrites(async (parts) => {
      await (await this.fh).writev(parts);
    });
  }

  async write(chunk: Uint8Array): Promise<void> {
    await this.writes.push(chunk);
  }

  async end(): Promise<void> {
    try {
      await this.writes.drain();
    } finally {
      await this.fh.then((fh) => fh.close()).catch(() => undefined);
    }
  }

  async abort(): Promise<void> {
    await this.writes.settle();
    await this.fh.then((fh) => fh.close()).catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}

/**
 * Writes one blob to a temp file beside `finalPath`, checking its SHA-256 before the rename.
 * With `also`, the same chunks go to a second, independent file as they arrive (a download's
 * destination), renamed into place only once the hash matched: the bytes are received once and
 * never read back for a copy, and the cache file and the destination never share an inode.
 */
export class BlobWriter {
  private readonly files: TempFile[];
  // Only the SHA-256 is checked: MD5 would double the hashing of a large download for nothing.
  private readonly hasher = createHash('sha256');

  constructor(
    readonly finalPath: string,
    readonly sha256: string,
    private readonly finalMode: number,
    private readonly also?: AlsoWrite,
  ) {
    this.files = [new TempFile(`${finalPath}.${randomBytes(6).toString('hex')}.tmp`)];
    if (also) this.files.push(new TempFile(also.tmp));
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.hasher.update(chunk);
    await Promise.all(this.files.map((f) => f.write(chunk)));
  }

  async commit(): Promise<string> {
    const [main, copy] = this.files as [TempFile, TempFile | undefined];
    try {
      await Promise.all(this.files.map((f) => f.end()));
      const got = this.hasher.digest('hex');
      if (got !== this.sha256) {
        throw new CairnError(
          'DIGEST_MISMATCH',
          `blob ${this.sha256} arrived with SHA-256 ${got}; not cached`,
          { sha256: this.sha256 },
        );
      }
      await chmod(main.tmp, this.finalMode);
      await rename(main.tmp, this.finalPath);
      if (copy && this.also) {
        await chmod(copy.tmp, this.also.mode);
        await rename(copy.tmp, this.also.path);
      }
    } catch (err) {
      await Promise.all(this.files.map((f) => rm(f.tmp, { force: true })));
      throw err;
    }
    return this.finalPath;
  }

  async abort(): Promise<void> {
    await Promise.all(this.files.map((f) => f.abort()));
  }
}
