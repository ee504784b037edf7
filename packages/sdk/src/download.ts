import { lstatSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { chmod, rename, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CairnError, isUnderPrefix, normalizeDirPrefix } from '@cairn/core';
import type { ManifestEntry } from '@cairn/core';
import { BlobWriter, checkSha256 } from './cache.js';
import type { BlobCache } from './cache.js';
import { BATCH_BLOB_BYTES, fetchBlobs } from './fetch-blobs.js';
import type { WantedBlob } from './fetch-blobs.js';
import { copyNewFile } from './file-copy.js';
import { hashFile } from './hashing.js';
import { readPacked } from './packed-read.js';
import { copyVerified, localBlobFiles } from './local-copy.js';
import { azureDownload, isAzureBlobUrl } from './object-stores/azure.js';
import { gcsDownload } from './object-stores/gcs.js';
import { s3Download } from './object-stores/s3.js';
import type { HttpClient } from './http.js';
import { runPool } from './pool.js';
import { YIELD_EVERY, yieldToLoop } from './prepare.js';
import { ProgressReporter } from './progress.js';
import type { ProgressListener } from './progress.js';
import { realRoot, safeDestinationSync } from './safe-path.js';
import { statFileSync } from './stat-cache.js';
import type { StatCache } from './stat-cache.js';

const PLACE_CONCURRENCY = 16;
/** Large blobs copied from a co-located server's files at once (each is a kernel copy or two). */
const LOCAL_COPY_CONCURRENCY = 2;

export interface DownloadOptions {
  root: string;
  pathPrefix?: string;
  skipCache?: boolean;
  allowMissingReferences?: boolean;
  onProgress?: ProgressListener;
}

export interface DownloadContext {
  http: HttpClient;
  cache: BlobCache;
  statCache: StatCache;
}

export interface DownloadResult {
  root: string;
  /** Entries written (or found already identical) below the root. */
  paths: string[];
  /** Blobs fetched from the server (the rest came from the cache or were already in place). */
  fetched: number;
  skippedReferences: string[];
}

function tempBeside(dest: string): string {
  return join(dirname(dest), `.${randomBytes(6).toString('hex')}.cairn-tmp`);
}

/** Copies `src` to `dest` through a temp name: reflink where supported, a copy otherwise. */
async function placeCopy(src: string, dest: string): Promise<void> {
  const tmp = tempBeside(dest);
  try {
    await copyNewFile(src, tmp, 0o644);
    await chmod(tmp, 0o644);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** True when `dest` already holds `entry`'s bytes, judged by the stat cache (no read). */
function alreadyInPlace(statCache: StatCache, dest: string, entry: ManifestEntry): boolean {
  try {
    const l = lstatSync(dest, { throwIfNoEntry: false });
    if (!l?.isFile() || l.size !== entry.size) return false;
    const h = statCache.lookup(dest, statFileSync(dest));
    return h !== undefined && h.sha256 === entry.sha256;
  } catch {
    return false;
  }
}

/**
 * Writes a small file from memory, synchronously. O_CREAT|O_EXCL ('wx') never follows a symlink
 * at the leaf and never writes into an existing file (which may be a hardlink of something
 * else): whatever is there is unlinked first, as a rename over it would replace it.
 */
function writeDestSync(dest: string, bytes: Uint8Array, path: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(dest, bytes, { flag: 'wx', mode: 0o644 });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    if (lstatSync(dest).isDirectory()) {
      throw new CairnError(
        'CONFLICT',
        `cannot write ${JSON.stringify(path)}: ${dest} exists and is a directory`,
        { path },
      );
    }
    unlinkSync(dest);
  }
}

async function placeReference(
  entry: ManifestEntry,
  dest: string,
  allowMissing: boolean,
): Promise<boolean> {
  const ref = entry.ref ?? '';
  try {
    if (ref.startsWith('file://')) {
      const src = fileURLToPath(ref);
      if (entry.digest !== ref) {
        const h = await hashFile(src);
        if (h.md5 !== entry.digest) {
          throw new CairnError(
            'DIGEST_MISMATCH',
            `reference ${ref} changed since it was logged (MD5 ${h.md5}, expected ${entry.digest})`,
            { path: entry.path, ref },
          );
        }
      }
      await placeCopy(src, dest);
      return true;
    }
    if (ref.startsWith('s3://')) {
      await s3Download(entry, dest);
      return true;
    }
    if (ref.startsWith('gs://')) {
      await gcsDownload(entry, dest);
      return true;
    }
    if (isAzureBlobUrl(ref)) {
      await azureDownload(entry, dest);
      return true;
    }
    if (ref.startsWith('http://') || ref.startsWith('https://')) {
      const res = await fetch(ref);
      if (!res.ok || !res.body) {
        throw new CairnError('NOT_FOUND', `reference ${ref} answered HTTP ${res.status}`, {
          path: entry.path,
          ref,
        });
      }
      const tmp = tempBeside(dest);
      const out = createWriteStream(tmp);
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        }
        await new Promise<void>((resolve, reject) =>
          out.end((err?: Error | null) => (err ? reject(err) : resolve())),
        );
        await rename(tmp, dest);
      } catch (err) {
        out.destroy();
        await rm(tmp, { force: true });
        throw err;
      }
      return true;
    }
    throw new CairnError('VALIDATION', `reference scheme of ${ref} cannot be downloaded`, {
      path: entry.path,
      ref,
    });
  } catch (err) {
    if (allowMissing) return false;
    if (err instanceof CairnError) throw err;
    throw new CairnError(
      'NOT_FOUND',
      `reference ${ref} for ${JSON.stringify(entry.path)} could not be read (${(err as Error).message}); pass allowMissingReferences to skip it`,
      { path: entry.path, ref },
    );
  }
}

/** How `copyLocalBlobs` reaches a download's entries. */
interface LocalPlacement {
  /** The entry a blob is copied to, and the others with the same bytes (copied from it after). */
  first(sha256: string): { entry: ManifestEntry; rest: ManifestEntry[] };
  dest(entry: ManifestEntry): string;
  /** A large blob is in place: `src` is where the other entries copy it from. */
  copied(src: string, rest: ManifestEntry[], size: number): void;
  /**
   * A small blob's bytes, read from a server's pack: checked, cached and written like bytes
   * that arrived over the socket (DIGEST_MISMATCH, keeping nothing, when they are not its).
   */
  read(sha256: string, bytes: Buffer): void;
  skipCache: boolean;
}

/**
 * Reads small blobs from ranges of one file of a co-located server and places each through
 * `to.read`, adding it to `done`. One that holds other bytes, and the rest
 * of a file that cannot be read or is shorter than named, are left for the socket.
 */
async function readLocalRanges(
  path: string,
  list: readonly { sha256: string; offset: number; size: number }[],
  to: LocalPlacement,
  done: Set<string>,
): Promise<void> {
  let n = 0;
  // A file that cannot be read, or is shorter than named, ends the loop: the rest go by socket.
  for (const [blob, bytes] of readPacked(path, list)) {
    try {
      to.read(blob.sha256, bytes);
      done.add(blob.sha256);
    } catch (err) {
      if (!(err instanceof CairnError && err.code === 'DIGEST_MISMATCH')) throw err;
    }
    if (++n % YIELD_EVERY === 0) await yieldToLoop();
  }
}

/**
 * From a server on this machine whose store is a local folder, blobs are taken from its files
 * instead of crossing a socket: large ones copied in the kernel (SHA-256 checked) into the cache
 * and the first destination, so a cold download of 1 GiB costs two kernel copies beside one
 * hash; small ones read from its packs a run at a time and checked one by one, so 10^4 small
 * files cost a few large reads instead of a framed stream the server reads, frames and sends.
 * Returns the blobs still to fetch: all of them from any other server, and any whose file could
 * not be read (unreadable to this user, collected meanwhile) or held other bytes, which the
 * socket then brings as before.
 */
async function copyLocalBlobs(
  ctx: DownloadContext,
  missing: readonly WantedBlob[],
  to: LocalPlacement,
): Promise<WantedBlob[]> {
  const sizes = new Map(missing.map((b) => [b.sha256, b.size]));
  const done = new Set<string>();
  const whole: [string, string][] = [];
  // Small ones are read answer by answer, while the server looks up the next batch.
  for await (const local of localBlobFiles(ctx.http, missing, { packed: true })) {
    const ranges = new Map<string, { sha256: string; offset: number; size: number }[]>();
    for (const [sha256, at] of local) {
      const size = sizes.get(sha256) as number;
      if (size >= BATCH_BLOB_BYTES) {
        // A large blob inside a bigger pack is not held in memory: it streams over the socket.
        if (at.offset === undefined) whole.push([sha256, at.path]);
        continue;
      }
      const blob = { sha256, offset: at.offset ?? 0, size };
      const list = ranges.get(at.path);
      if (list) list.push(blob);
      else ranges.set(at.path, [blob]);
    }
    for (const [path, list] of ranges) await readLocalRanges(path, list, to, done);
  }
  await runPool(whole, LOCAL_COPY_CONCURRENCY, async ([sha, src]) => {
    const { entry, rest } = to.first(sha);
    const d = to.dest(entry);
    const target = { tmp: tempBeside(d), path: d, mode: 0o644 };
    try {
      let from = d;
      if (to.skipCache) await copyVerified(src, sha, entry.size, [target]);
      else from = await ctx.cache.copyIn(sha, src, entry.size, target);
      to.copied(from, rest, entry.size);
      done.add(sha);
    } catch {
      // the socket brings it
    }
  });
  return missing.filter((b) => !done.has(b.sha256));
}

/**
 * Downloads entries below `root`. Every destination is resolved (and checked against symlinks
 * leading out of the root) before any byte is written. Stored blobs come from the cache, the
 * missing ones fetched in batches into it. Small files are written from the bytes in memory
 * (fetched, or read from the cache) with synchronous calls; large ones are copied from the cache
 * (reflink when possible) through a temp name. The cache and the download never share an inode.
 */
export async function downloadEntries(
  ctx: DownloadContext,
  all: readonly ManifestEntry[],
  opts: DownloadOptions,
): Promise<DownloadResult> {
  const rootReal = await realRoot(opts.root);
  // Into an empty root nothing can already be in place: no need to look at 10^4 paths.
  const emptyRoot = readdirSync(rootReal).length === 0;
  const prefix = normalizeDirPrefix(opts.pathPrefix);
  const entries = all.filter((e) => isUnderPrefix(e.path, prefix));
  const made = new Set<string>();
  const dests = new Map<string, string>();
  for (const e of entries) dests.set(e.path, safeDestinationSync(rootReal, e.path, made));
  const dest = (e: ManifestEntry): string => dests.get(e.path) as string;

  const stored: ManifestEntry[] = [];
  const refs: ManifestEntry[] = [];
  for (const e of entries) (e.sha256 ? stored : refs).push(e);

  const bySha = new Map<string, ManifestEntry[]>();
  let pendingCount = 0;
  for (let i = 0; i < stored.length; i++) {
    if (i > 0 && i % YIELD_EVERY === 0) await yieldToLoop();
    const e = stored[i] as ManifestEntry;
    if (!emptyRoot && alreadyInPlace(ctx.statCache, dest(e), e)) continue;
    const list = bySha.get(e.sha256 as string);
    if (list) list.push(e);
    else bySha.set(e.sha256 as string, [e]);
    pendingCount++;
  }

  // Cache hits first: small ones are placed right away from their bytes, large ones copied later.
  const placing = new ProgressReporter(opts.onProgress, 'placing', pendingCount, 0);
  const copies: { src: string; entry: ManifestEntry }[] = [];
  const missing: WantedBlob[] = [];
  const small: WantedBlob[] = [];
  let n = 0;
  for (const [sha, list] of bySha) {
    if (++n % YIELD_EVERY === 0) await yieldToLoop();
    const size = (list[0] as ManifestEntry).size;
    if (opts.skipCache) {
      missing.push({ sha256: sha, size });
    } else if (size < BATCH_BLOB_BYTES) {
      small.push({ sha256: sha, size });
    } else {
      const hit = ctx.cache.lookupSync(sha, size);
      if (hit) for (const e of list) copies.push({ src: hit, entry: e });
      else missing.push({ sha256: sha, size });
    }
  }
  // Each small hit is written out as soon as it is read (and checked), through one reused buffer.
  // One whose pack then proved torn is fetched again, so that the cache holds it once more.
  const hits = new Set<string>();
  const uncached = (sha: string): boolean => hits.delete(sha);
  for (const [sha256, bytes] of ctx.cache.eachSmallSync(small, { reuse: true, uncached })) {
    const list = bySha.get(sha256) as ManifestEntry[];
    for (const e of list) writeDestSync(dest(e), bytes, e.path);
    placing.add(list.length, bytes.length * list.length);
    hits.add(sha256);
    if (hits.size % YIELD_EVERY === 0) await yieldToLoop();
  }
  for (const w of small) if (!hits.has(w.sha256)) missing.push(w);

  const fetching = new ProgressReporter(
    opts.onProgress,
    'downloading',
    missing.length,
    missing.reduce((n, b) => n + b.size, 0),
  );
  // Small blobs arrive whole in memory: verified, kept in the cache, written to every entry.
  const packed = opts.skipCache ? undefined : ctx.cache.packWriter();
  const placeBytes = (sha: string, bytes: Uint8Array): void => {
    if (packed) packed.addSync(sha, bytes);
    else checkSha256(sha, bytes);
    const list = bySha.get(sha) as ManifestEntry[];
    for (const e of list) writeDestSync(dest(e), bytes, e.path);
    placing.add(list.length, bytes.length * list.length);
  };
  // What arrived or was read (every blob checked) is kept even when the download fails: a retry
  // has less to fetch.
  try {
    const overSocket = await copyLocalBlobs(ctx, missing, {
      first: (sha) => {
        const [first, ...rest] = bySha.get(sha) as ManifestEntry[];
        return { entry: first as ManifestEntry, rest };
      },
      dest,
      copied: (src, rest, size) => {
        for (const e of rest) copies.push({ src, entry: e });
        placing.add(1, size);
        fetching.add(1, size);
      },
      read: (sha, bytes) => {
        placeBytes(sha, bytes);
        fetching.add(1, bytes.length);
      },
      skipCache: opts.skipCache ?? false,
    });
    if (opts.skipCache) {
      // Large blobs straight into the root: the first entry receives the bytes, the rest copy it.
      await fetchBlobs(
        ctx.http,
        overSocket,
        async (sha) => {
          const [first, ...rest] = bySha.get(sha) as ManifestEntry[];
          for (const e of rest) copies.push({ src: dest(first as ManifestEntry), entry: e });
          return new BlobWriter(dest(first as ManifestEntry), sha, 0o644);
        },
        placeBytes,
        fetching,
      );
    } else {
      await fetchBlobs(
        ctx.http,
        overSocket,
        async (sha) => {
          // The first destination is written from the same chunks as the cache; others copy it.
          const [first, ...rest] = bySha.get(sha) as ManifestEntry[];
          const d = dest(first as ManifestEntry);
          const w = await ctx.cache.writer(sha, { tmp: tempBeside(d), path: d, mode: 0o644 });
          for (const e of rest) copies.push({ src: w.finalPath, entry: e });
          placing.add(1, (first as ManifestEntry).size);
          return w;
        },
        placeBytes,
        fetching,
      );
    }
  } finally {
    try {
      packed?.finishSync();
    } catch {
      packed?.abortSync(); // a full disk: the cache is only a cache
    }
  }
  fetching.done();

  await runPool(copies, PLACE_CONCURRENCY, async ({ src, entry }) => {
    await placeCopy(src, dest(entry));
    placing.add(1, entry.size);
  });
  placing.done();

  const skippedReferences: string[] = [];
  await runPool(refs, 4, async (e) => {
    const ok = await placeReference(e, dest(e), opts.allowMissingReferences ?? false);
    if (!ok) skippedReferences.push(e.path);
  });
  await ctx.statCache.save();
  if (!opts.skipCache && missing.length > 0) await ctx.cache.evict(new Set(bySha.keys()));
  return {
    root: rootReal,
    paths: entries.map((e) => e.path).filter((p) => !skippedReferences.includes(p)),
    fetched: missing.length,
    skippedReferences,
  };
}
