import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CairnError } from '@cairn/core';
import { DualHasher, hashBytes } from './hashing.js';

export const DEFAULT_CACHE_MAX_BYTES = 10 * 1024 ** 3;

/**
 * The local blob cache: `<cacheDir>/blobs/ab/<sha256>`, each file written to a temp name while
 * its SHA-256 is checked, renamed into place and made read-only (0o444). Files are placed into a
 * download root by copy (reflink where supported), never by hardlink, so editing a downloaded
 * file cannot corrupt the cache. Use refreshes a blob's mtime; eviction removes the oldest first.
 */
export class BlobCache {
  readonly dir: string;
  readonly maxBytes: number;

  constructor(cacheDir: string, maxBytes = DEFAULT_CACHE_MAX_BYTES) {
    this.dir = join(cacheDir, 'blobs');
    this.maxBytes = maxBytes;
  }

  pathOf(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** The cached path of a blob (its use time refreshed), or undefined when absent. */
  async lookup(sha256: string, size: number): Promise<string | undefined> {
    const p = this.pathOf(sha256);
    try {
      const st = await stat(p);
      if (st.size !== size) return undefined;
      const now = new Date();
      await utimes(p, now, now).catch(() => undefined);
      return p;
    } catch {
      return undefined;
    }
  }

  /** A writer for one blob: feed chunks, then `commit()` checks the hash and renames into place. */
  async writer(sha256: string): Promise<BlobWriter> {
    const final = this.pathOf(sha256);
    await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true });
    return new BlobWriter(final, sha256, 0o444);
  }

  /** Stores a small blob held in memory (SHA-256 checked), read-only. */
  async putBytes(sha256: string, bytes: Uint8Array): Promise<void> {
    await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true });
    await putBlobBytes(this.pathOf(sha256), sha256, bytes, 0o444);
  }

  /** Evicts least recently used blobs until the cache holds at most `maxBytes`. */
  async evict(keep: ReadonlySet<string> = new Set()): Promise<{ removed: number; bytes: number }> {
    const files: { path: string; size: number; used: number; sha: string }[] = [];
    let total = 0;
    let shards: string[];
    try {
      shards = await readdir(this.dir);
    } catch {
      return { removed: 0, bytes: 0 };
    }
    for (const shard of shards) {
      let names: string[];
      try {
        names = await readdir(join(this.dir, shard));
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.endsWith('.tmp')) continue;
        const p = join(this.dir, shard, name);
        const st = await stat(p).catch(() => undefined);
        if (!st) continue;
        files.push({ path: p, size: st.size, used: st.mtimeMs, sha: name });
        total += st.size;
      }
    }
    if (total <= this.maxBytes) return { removed: 0, bytes: 0 };
    files.sort((a, b) => a.used - b.used);
    let removed = 0;
    let bytes = 0;
    for (const f of files) {
      if (total <= this.maxBytes) break;
      if (keep.has(f.sha)) continue;
      await rm(f.path, { force: true });
      total -= f.size;
      bytes += f.size;
      removed++;
    }
    return { removed, bytes };
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
  const got = hashBytes(bytes).sha256;
  if (got !== sha256) {
    throw new CairnError(
      'DIGEST_MISMATCH',
      `blob ${sha256} arrived with SHA-256 ${got}; not kept`,
      {
        sha256,
      },
    );
  }
  const tmp = `${finalPath}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, bytes, { mode });
    await rename(tmp, finalPath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Writes one blob to a temp file beside `finalPath`, checking its SHA-256 before the rename. */
export class BlobWriter {
  private readonly tmp: string;
  private readonly out;
  private readonly hasher = new DualHasher();
  private failed: Error | undefined;

  constructor(
    readonly finalPath: string,
    readonly sha256: string,
    private readonly finalMode: number,
  ) {
    this.tmp = `${finalPath}.${randomBytes(6).toString('hex')}.tmp`;
    this.out = createWriteStream(this.tmp, { mode: 0o644 });
    this.out.on('error', (err) => {
      this.failed = err;
    });
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.failed) throw this.failed;
    this.hasher.update(chunk);
    if (!this.out.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          this.out.off('error', onError);
          resolve();
        };
        const onError = (err: Error): void => {
          this.out.off('drain', onDrain);
          reject(err);
        };
        this.out.once('drain', onDrain);
        this.out.once('error', onError);
      });
    }
  }

  async commit(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.out.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
    if (this.failed) throw this.failed;
    const got = this.hasher.digest();
    if (got.sha256 !== this.sha256) {
      await rm(this.tmp, { force: true });
      throw new CairnError(
        'DIGEST_MISMATCH',
        `blob ${this.sha256} arrived with SHA-256 ${got.sha256}; not cached`,
        { sha256: this.sha256 },
      );
    }
    await chmod(this.tmp, this.finalMode);
    await rename(this.tmp, this.finalPath);
    return this.finalPath;
  }

  async abort(): Promise<void> {
    this.out.destroy();
    await rm(this.tmp, { force: true });
  }
}
