import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { hash as oneShotHash, randomBytes } from 'node:crypto';
import { CairnError } from '@cairn/core';
import { readPacked } from './packed-read.js';

/**
 * Small blobs of the local cache, many per file: `<cacheDir>/packs/<id>.pack` holds their bytes
 * back to back and `<id>.idx` lists `sha256 offset size` per line. A download of 10^4 small files
 * then creates a few cache files instead of 10^4 (file creation is what a small-file copy costs)
 * and a warm download reads one file instead of opening 10^4.
 *
 * A pack is written under a temp name and renamed; its index is written after it, so an index
 * always names a complete pack. Nothing is fsynced (the cache can always be refetched): instead
 * every blob read from a pack is checked against its SHA-256, and a pack with a bad blob (torn
 * by a crash) is dropped and its blobs fetched again. Packs are evicted whole, oldest use first.
 */
export const CACHE_PACK_MAX_BYTES = 256 * 1024 * 1024;
const WRITE_CHUNK_BYTES = 1 << 20;
/** Temp files and unindexed packs this old are a killed writer's, not one at work. */
const LEFTOVER_AGE_MS = 60 * 60 * 1000;

interface PackedBlob {
  pack: string;
  offset: number;
  size: number;
}

export interface WantedSmall {
  sha256: string;
  size: number;
}

export interface EachOptions {
  /** Read every run into one buffer: a blob's bytes are valid until the next is asked for. */
  reuse?: boolean;
  /** A blob already yielded whose pack was then found torn and dropped: no longer cached. */
  uncached?: (sha256: string) => void;
}

export interface PackFile {
  name: string;
  size: number;
  usedMs: number;
  sha256s: string[];
}

export class CachePacks {
  readonly dir: string;
  private index: Map<string, PackedBlob> | undefined;

  constructor(
    cacheDir: string,
    private readonly useTimeGrainMs: number,
  ) {
    this.dir = join(cacheDir, 'packs');
  }

  private packPath(name: string): string {
    return join(this.dir, `${name}.pack`);
  }

  private idxPath(name: string): string {
    return join(this.dir, `${name}.idx`);
  }

  /** `sha256 offset size` lines; by indexOf, not split: no two arrays per line of 10^4. */
  private static parseIdx(text: string): { sha256: string; offset: number; size: number }[] {
    const out: { sha256: string; offset: number; size: number }[] = [];
    let at = 0;
    while (at < text.length) {
      let end = text.indexOf('\n', at);
      if (end === -1) end = text.length;
      const s1 = text.indexOf(' ', at);
      const s2 = s1 === -1 || s1 > end ? -1 : text.indexOf(' ', s1 + 1);
      if (s2 !== -1 && s2 < end) {
        const s3 = text.indexOf(' ', s2 + 1);
        out.push({
          sha256: text.slice(at, s1),
          offset: Number(text.slice(s1 + 1, s2)),
          size: Number(text.slice(s2 + 1, s3 === -1 || s3 > end ? end : s3)),
        });
      }
      at = end + 1;
    }
    return out;
  }

  private names(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((n) => n.endsWith('.idx'))
        .map((n) => n.slice(0, -4));
    } catch {
      return [];
    }
  }

  private load(): Map<string, PackedBlob> {
    if (this.index) return this.index;
    const index = new Map<string, PackedBlob>();
    for (const pack of this.names()) {
      let text: string;
      try {
        text = readFileSync(this.idxPath(pack), 'utf8');
      } catch {
        continue;
      }
      for (const r of CachePacks.parseIdx(text)) {
        if (!index.has(r.sha256)) index.set(r.sha256, { pack, offset: r.offset, size: r.size });
      }
    }
    this.index = index;
    return index;
  }

  has(sha256: string, size: number): boolean {
    return this.load().get(sha256)?.size === size;
  }

  /** The pack file holding a blob, or undefined. */
  pathOf(sha256: string, size: number): string | undefined {
    const b = this.load().get(sha256);
    return b?.size === size ? this.packPath(b.pack) : undefined;
  }

  /**
   * Those of `wanted` that are packed and intact, each with its bytes. Blobs of one pack are read
   * in offset order, neighbours with one read; each is checked against its SHA-256 before it is
   * yielded. With `reuse`, bytes are valid only until the next blob is asked for (see
   * `readPacked`). A pack that cannot be read or holds a bad blob (evicted, or torn by a crash) is
   * dropped: its blobs not yet yielded are misses, fetched again, and those already yielded (their
   * bytes were right) are named to `opts.uncached`, since the cache no longer holds them.
   */
  *eachSync(wanted: readonly WantedSmall[], opts: EachOptions = {}): Generator<[string, Buffer]> {
    const index = this.load();
    const byPack = new Map<string, { sha256: string; offset: number; size: number }[]>();
    for (const w of wanted) {
      const at = index.get(w.sha256);
      if (at?.size !== w.size) continue;
      const blob = { sha256: w.sha256, offset: at.offset, size: at.size };
      const list = byPack.get(at.pack);
      if (list) list.push(blob);
      else byPack.set(at.pack, [blob]);
    }
    for (const [pack, list] of byPack) {
      const path = this.packPath(pack);
      let torn = false;
      const unreadable = (): void => {
        torn = true;
      };
      const yielded: string[] = [];
      for (const [blob, bytes] of readPacked(path, list, { reuse: opts.reuse, unreadable })) {
        try {
          checkSha256(blob.sha256, bytes);
        } catch {
          torn = true;
          break;
        }
        yielded.push(blob.sha256);
        yield [blob.sha256, bytes];
      }
      if (torn) {
        this.drop(pack);
        for (const sha of yielded) opts.uncached?.(sha);
      } else {
        this.touch(path);
      }
    }
  }

  private touch(path: string): void {
    try {
      const nowMs = Date.now();
      if (nowMs - statSync(path).mtimeMs < this.useTimeGrainMs) return;
      const now = new Date(nowMs);
      utimesSync(path, now, now);
    } catch {
      // Evicted meanwhile by another process: nothing to refresh.
    }
  }

  /** Removes a pack: index first, so no reader is sent to bytes about to vanish. */
  drop(pack: string): void {
    rmSync(this.idxPath(pack), { force: true });
    rmSync(this.packPath(pack), { force: true });
    if (this.index) for (const [sha, b] of this.index) if (b.pack === pack) this.index.delete(sha);
  }

  /** Every pack with its size, use time and blobs, for eviction. */
  list(): PackFile[] {
    this.sweepLeftovers();
    const out: PackFile[] = [];
    for (const name of this.names()) {
      try {
        const st = statSync(this.packPath(name));
        const shas = CachePacks.parseIdx(readFileSync(this.idxPath(name), 'utf8'));
        out.push({ name, size: st.size, usedMs: st.mtimeMs, sha256s: shas.map((r) => r.sha256) });
      } catch {
        // Half removed by another process.
      }
    }
    return out;
  }

  /**
   * Removes what a killed writer left: temp files, and packs whose index never appeared. Only
   * old ones, so a writer still at work in another process is never disturbed.
   */
  private sweepLeftovers(): void {
    let files: string[];
    try {
      files = readdirSync(this.dir);
    } catch {
      return;
    }
    const indexed = new Set(files.filter((f) => f.endsWith('.idx')).map((f) => f.slice(0, -4)));
    const cutoff = Date.now() - LEFTOVER_AGE_MS;
    for (const f of files) {
      const orphan = f.endsWith('.tmp') || (f.endsWith('.pack') && !indexed.has(f.slice(0, -5)));
      if (!orphan) continue;
      const p = join(this.dir, f);
      const st = statSync(p, { throwIfNoEntry: false });
      if (st && st.mtimeMs < cutoff) rmSync(p, { force: true });
    }
  }

  writer(): CachePackWriter {
    mkdirSync(this.dir, { recursive: true });
    return new CachePackWriter(this.dir, (name, rows) => {
      const index = this.load();
      for (const r of rows)
        if (!index.has(r.sha256))
          index.set(r.sha256, { pack: name, offset: r.offset, size: r.size });
    });
  }
}

/**
 * Appends blobs (already in memory, synchronously) to new packs; `finishSync` makes them
 * visible. Blobs are added in arrival order, a new pack started past CACHE_PACK_MAX_BYTES.
 */
export class CachePackWriter {
  private fd: number | undefined;
  private name = '';
  private tmp = '';
  private offset = 0;
  private rows: { sha256: string; offset: number; size: number }[] = [];
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly seen = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly onSealed: (
      name: string,
      rows: readonly { sha256: string; offset: number; size: number }[],
    ) => void,
  ) {}

  /** Keeps a small blob; throws DIGEST_MISMATCH (keeping nothing of it) unless it has its hash. */
  addSync(sha256: string, bytes: Uint8Array): void {
    checkSha256(sha256, bytes);
    if (this.seen.has(sha256)) return;
    this.seen.add(sha256);
    if (this.fd !== undefined && this.offset + bytes.length > CACHE_PACK_MAX_BYTES) this.seal();
    if (this.fd === undefined) {
      this.name = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
      this.tmp = join(this.dir, `.${this.name}.pack.tmp`);
      this.fd = openSync(this.tmp, 'wx', 0o444);
      this.offset = 0;
      this.rows = [];
    }
    this.rows.push({ sha256, offset: this.offset, size: bytes.length });
    this.offset += bytes.length;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= WRITE_CHUNK_BYTES) this.flush();
  }

  private flush(): void {
    if (this.fd === undefined || this.pendingBytes === 0) return;
    const chunk = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let at = 0;
    while (at < chunk.length) at += writeSync(this.fd, chunk, at, chunk.length - at);
  }

  private seal(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
    const pack = join(this.dir, `${this.name}.pack`);
    renameSync(this.tmp, pack);
    const idx = join(this.dir, `${this.name}.idx`);
    const idxTmp = join(this.dir, `.${this.name}.idx.tmp`);
    writeFileSync(idxTmp, this.rows.map((r) => `${r.sha256} ${r.offset} ${r.size}\n`).join(''));
    renameSync(idxTmp, idx);
    this.onSealed(this.name, this.rows);
  }

  /** Makes every blob added so far visible in the cache. */
  finishSync(): void {
    this.seal();
  }

  /** Drops the pack being written (what was sealed before stays). */
  abortSync(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.tmp, { force: true });
  }
}

/**
 * Throws DIGEST_MISMATCH unless `bytes` hash to `sha256` (only SHA-256: MD5 is not needed).
 * One-shot: a Hash object per 4 KiB blob costs about as much again as the hashing.
 */
export function checkSha256(sha256: string, bytes: Uint8Array): void {
  const got = oneShotHash('sha256', bytes, 'hex');
  if (got !== sha256) {
    throw new CairnError(
      'DIGEST_MISMATCH',
      `blob ${sha256} arrived with SHA-256 ${got}; not kept`,
      {
        sha256,
      },
    );
  }
}
