import { readFile } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { CairnError } from '@cairn/core';
import type { ManifestEntry } from '@cairn/core';
import { hashBytes, hashFile } from './hashing.js';
import type { FileHashes } from './hashing.js';
import type { DraftItem, LocalFileItem } from './draft-items.js';
import { runPool } from './pool.js';
import { nowNs, sameFile, statBig } from './stat-cache.js';
import type { StatCache } from './stat-cache.js';
import { ProgressReporter } from './progress.js';
import type { ProgressListener } from './progress.js';

/** Files below this size are read whole, hashed and (when uploaded) sent from the same bytes. */
export const SMALL_FILE_BYTES = 1 << 20;
/** Bytes of small files kept in memory between hashing and uploading. */
export const KEEP_BYTES_BUDGET = 96 * 1024 * 1024;
const HASH_CONCURRENCY = 8;

export interface PreparedFile {
  item: LocalFileItem;
  hashes: FileHashes;
  stat: BigIntStats;
  /** The exact bytes that were hashed, for small files within the memory budget. */
  bytes?: Uint8Array;
}

export function changedWhileLogged(localPath: string, what: string): CairnError {
  return new CairnError(
    'DIGEST_MISMATCH',
    `${localPath} changed while being logged (${what}); nothing was committed for it. Log again once the file is stable, or add it with policy 'mutable' to snapshot it`,
    { localPath },
  );
}

/**
 * Hashes every local file of a draft, consulting the stat cache first so unchanged files are
 * not read. Each file is statted before and after reading; a change in between is an error,
 * never a digest for bytes that are not the file's.
 */
export async function prepareFiles(
  items: readonly DraftItem[],
  statCache: StatCache,
  keepBytes: boolean,
  onProgress?: ProgressListener,
): Promise<PreparedFile[]> {
  const files = items.filter((i): i is LocalFileItem => i.kind === 'file');
  const progress = new ProgressReporter(
    onProgress,
    'hashing',
    files.length,
    files.reduce((n, f) => n + f.size, 0),
  );
  const out: PreparedFile[] = new Array(files.length);
  let kept = 0;
  await runPool(files, HASH_CONCURRENCY, async (item, i) => {
    let before: BigIntStats;
    try {
      before = await statBig(item.localPath);
    } catch {
      throw new CairnError(
        'NOT_FOUND',
        `${item.localPath} (added as ${JSON.stringify(item.path)}) no longer exists`,
        { localPath: item.localPath, path: item.path },
      );
    }
    const cached = await statCache.get(item.localPath, before);
    if (cached) {
      out[i] = { item, hashes: cached, stat: before };
      progress.add(1, cached.size);
      return;
    }
    const started = nowNs();
    let hashes: FileHashes;
    let bytes: Uint8Array | undefined;
    if (before.size < BigInt(SMALL_FILE_BYTES)) {
      bytes = await readFile(item.localPath);
      hashes = hashBytes(bytes);
    } else {
      hashes = await hashFile(item.localPath);
    }
    const after = await statBig(item.localPath);
    if (!sameFile(before, after) || BigInt(hashes.size) !== before.size) {
      throw changedWhileLogged(item.localPath, 'its size or modification time moved while hashing');
    }
    await statCache.set(item.localPath, after, hashes, started);
    const keep = keepBytes && bytes !== undefined && kept + bytes.length <= KEEP_BYTES_BUDGET;
    if (keep && bytes) kept += bytes.length;
    out[i] = keep ? { item, hashes, stat: after, bytes } : { item, hashes, stat: after };
    progress.add(1, hashes.size);
  });
  progress.done();
  for (const p of out) {
    p.item.hashes = p.hashes;
    p.item.size = p.hashes.size;
  }
  return out;
}

export function entryOf(p: PreparedFile): ManifestEntry {
  return { path: p.item.path, digest: p.hashes.md5, size: p.hashes.size, sha256: p.hashes.sha256 };
}
