import { constants } from 'node:fs';
import { chmod, copyFile, lstat, rename, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CairnError, isUnderPrefix, normalizeDirPrefix } from '@cairn/core';
import type { ManifestEntry } from '@cairn/core';
import { BlobWriter, putBlobBytes } from './cache.js';
import type { BlobCache } from './cache.js';
import { fetchBlobs } from './fetch-blobs.js';
import type { WantedBlob } from './fetch-blobs.js';
import { hashFile } from './hashing.js';
import type { HttpClient } from './http.js';
import { runPool } from './pool.js';
import { ProgressReporter } from './progress.js';
import type { ProgressListener } from './progress.js';
import { realRoot, safeDestination } from './safe-path.js';
import { statBig } from './stat-cache.js';
import type { StatCache } from './stat-cache.js';

const PLACE_CONCURRENCY = 16;

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
    await copyFile(src, tmp, constants.COPYFILE_FICLONE);
    await chmod(tmp, 0o644);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** True when `dest` already holds `entry`'s bytes, judged by the stat cache (no read). */
async function alreadyInPlace(
  statCache: StatCache,
  dest: string,
  entry: ManifestEntry,
): Promise<boolean> {
  try {
    const l = await lstat(dest);
    if (!l.isFile() || l.size !== entry.size) return false;
    const st = await statBig(dest);
    const h = await statCache.get(dest, st);
    return h !== undefined && h.sha256 === entry.sha256;
  } catch {
    return false;
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

/**
 * Downloads entries below `root`. Every destination is resolved (and checked against symlinks
 * leading out of the root) before any byte is written. Stored blobs come from the cache, the
 * missing ones fetched in batches into it; files are then copied (reflink when possible) into
 * place, so the cache and the download never share an inode.
 */
export async function downloadEntries(
  ctx: DownloadContext,
  all: readonly ManifestEntry[],
  opts: DownloadOptions,
): Promise<DownloadResult> {
  const rootReal = await realRoot(opts.root);
  const prefix = normalizeDirPrefix(opts.pathPrefix);
  const entries = all.filter((e) => isUnderPrefix(e.path, prefix));
  const made = new Set<string>();
  const dests = new Map<string, string>();
  for (const e of entries) dests.set(e.path, await safeDestination(rootReal, e.path, made));
  const dest = (e: ManifestEntry): string => dests.get(e.path) as string;

  const stored: ManifestEntry[] = [];
  const refs: ManifestEntry[] = [];
  for (const e of entries) (e.sha256 ? stored : refs).push(e);

  const pending: ManifestEntry[] = [];
  await runPool(stored, PLACE_CONCURRENCY, async (e) => {
    if (!(await alreadyInPlace(ctx.statCache, dest(e), e))) pending.push(e);
  });

  const bySha = new Map<string, ManifestEntry[]>();
  for (const e of pending) {
    const list = bySha.get(e.sha256 as string) ?? [];
    list.push(e);
    bySha.set(e.sha256 as string, list);
  }
  const sources = new Map<string, string>();
  const missing: WantedBlob[] = [];
  for (const [sha, list] of bySha) {
    const size = (list[0] as ManifestEntry).size;
    const hit = opts.skipCache ? undefined : await ctx.cache.lookup(sha, size);
    if (hit) sources.set(sha, hit);
    else missing.push({ sha256: sha, size });
  }

  const fetching = new ProgressReporter(
    opts.onProgress,
    'downloading',
    missing.length,
    missing.reduce((n, b) => n + b.size, 0),
  );
  if (opts.skipCache) {
    // Straight into the root: the first entry of each blob receives the bytes, the rest copy it.
    await fetchBlobs(
      ctx.http,
      missing,
      async (sha) => {
        const first = (bySha.get(sha) as ManifestEntry[])[0] as ManifestEntry;
        sources.set(sha, dest(first));
        return new BlobWriter(dest(first), sha, 0o644);
      },
      async (sha, bytes) => {
        const first = (bySha.get(sha) as ManifestEntry[])[0] as ManifestEntry;
        sources.set(sha, dest(first));
        await putBlobBytes(dest(first), sha, bytes, 0o644);
      },
      fetching,
    );
  } else {
    await fetchBlobs(
      ctx.http,
      missing,
      (sha) => ctx.cache.writer(sha),
      (sha, bytes) => ctx.cache.putBytes(sha, bytes),
      fetching,
    );
    for (const b of missing) sources.set(b.sha256, ctx.cache.pathOf(b.sha256));
  }

  fetching.done();
  const placing = new ProgressReporter(
    opts.onProgress,
    'placing',
    pending.length,
    pending.reduce((n, e) => n + e.size, 0),
  );
  await runPool(pending, PLACE_CONCURRENCY, async (e) => {
    const src = sources.get(e.sha256 as string) as string;
    const d = dest(e);
    if (src !== d) await placeCopy(src, d);
    placing.add(1, e.size);
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
