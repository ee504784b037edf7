import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import {
  CairnError,
  FRAMES_CONTENT_TYPE,
  FRAME_HEADER_BYTES,
  encodeFrameHeader,
} from '@cairn/core';
import type {
  BlobInfo,
  CommitRequest,
  CommitResult,
  ManifestEntry,
  PlacedCommitRequest,
  PlacementResult,
  UploadSession,
  UploadStart,
  VersionInfo,
} from '@cairn/core';
import { directTransfer, uploadDirect } from './direct-transfer.js';
import { hashBytes, hashFile } from './hashing.js';
import type { HttpClient } from './http.js';
import { LocalUploader } from './local-upload.js';
import { runPool } from './pool.js';
import { SMALL_FILE_BYTES, changedWhileLogged, settleMd5 } from './prepare.js';
import type { PreparedFile } from './prepare.js';
import { ProgressReporter, countedFile } from './progress.js';
import type { ProgressListener } from './progress.js';
import type { StatCache } from './stat-cache.js';

/** Upper bound of one pack upload: many small blobs in one framed stream. */
export const PACK_MAX_BYTES = 64 * 1024 * 1024;
const PACK_CONCURRENCY = 2;
/** Frames are gathered into chunks of about this size: one body write per chunk, not per file. */
const PACK_CHUNK_BYTES = 1 << 20;
const LARGE_CONCURRENCY = 3;

export interface UploadStats {
  /**
   * SHA-256s the server said it lacked (what was sent after asking). Large files streamed to a
   * server on this machine while they were hashed (StreamedLarge) are not asked about: they
   * count in `bytesSent` and `largeBlobs` only.
   */
  missing: number;
  bytesSent: number;
  packs: number;
  largeBlobs: number;
}

export interface UploadTarget {
  entity: string;
  project: string;
  collection: string;
  type: string;
}

/** Reads a small file again (when its bytes were not kept) and checks it still has its hash. */
function smallBytes(p: PreparedFile): Uint8Array {
  if (p.bytes) return p.bytes;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(p.item.localPath);
  } catch {
    throw changedWhileLogged(p.item.localPath, 'it disappeared before upload');
  }
  if (hashBytes(bytes).sha256 !== p.hashes.sha256) {
    throw changedWhileLogged(p.item.localPath, 'its bytes differ from the ones hashed');
  }
  return bytes;
}

async function* packStream(
  files: readonly PreparedFile[],
  progress: ProgressReporter,
): AsyncGenerator<Uint8Array> {
  let parts: Uint8Array[] = [];
  let size = 0;
  for (const f of files) {
    const bytes = smallBytes(f);
    parts.push(encodeFrameHeader(f.hashes.sha256, bytes.length));
    if (bytes.length > 0) parts.push(bytes);
    size += FRAME_HEADER_BYTES + bytes.length;
    progress.add(1, bytes.length);
    if (size >= PACK_CHUNK_BYTES) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(parts, size);
}

function groupPacks(files: readonly PreparedFile[]): PreparedFile[][] {
  const packs: PreparedFile[][] = [];
  let current: PreparedFile[] = [];
  let bytes = 0;
  for (const f of files) {
    if (current.length > 0 && bytes + f.hashes.size > PACK_MAX_BYTES) {
      packs.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.hashes.size;
  }
  if (current.length > 0) packs.push(current);
  return packs;
}

/** Called with the server's BlobInfo (its MD5 included) of each large blob sent through it. */
export type OnStored = (info: BlobInfo) => void;

/**
 * Sends one large blob the server lacks: to a server on this machine whose store is a local
 * folder, copied into a file it names (`LocalUploader`, its answer checked against the SHA-256
 * the file was hashed to); else streamed to `PUT /blobs/:sha256`, which checks it.
 */
async function putLarge(
  http: HttpClient,
  f: PreparedFile,
  progress: ProgressReporter,
  onStored?: OnStored,
  local?: LocalUploader,
): Promise<void> {
  const copied = await local?.copy(f.item.localPath);
  if (copied) {
    if (copied.sha256 !== f.hashes.sha256 || copied.size !== f.hashes.size) {
      throw changedWhileLogged(f.item.localPath, 'its bytes differ from the ones hashed');
    }
    progress.add(1, copied.size);
    onStored?.(copied);
    return;
  }
  const file = createReadStream(f.item.localPath, { highWaterMark: 1 << 20 });
  try {
    const info = await http.sendStream<BlobInfo>(
      'PUT',
      `/blobs/${f.hashes.sha256}`,
      Readable.from(countedFile(file, progress), { objectMode: false }),
    );
    onStored?.(info);
  } catch (err) {
    if (err instanceof CairnError && err.code === 'DIGEST_MISMATCH') {
      throw changedWhileLogged(f.item.localPath, 'the server received bytes with another SHA-256');
    }
    throw err;
  } finally {
    file.destroy();
  }
}

/**
 * Sends blobs the server said it lacks: small ones in framed packs, large ones one per request
 * (or by file to a server on this machine). The server checks every SHA-256.
 */
export async function sendBlobs(
  http: HttpClient,
  uploadId: string,
  small: readonly PreparedFile[],
  large: readonly PreparedFile[],
  progress: ProgressReporter,
  onStored?: OnStored,
): Promise<{ packs: number; largeBlobs: number }> {
  const packs = groupPacks(small);
  // With direct transfer the bytes go straight to the object store; the server only verifies.
  const direct = await directTransfer(http);
  if (direct) {
    await uploadDirect(http, direct, uploadId, packs, large, progress, {
      packBody: (pack) => Readable.from(packStream(pack, progress), { objectMode: false }),
      viaServer: (f) => putLarge(http, f, progress, onStored),
    });
  } else {
    const local = large.length > 0 ? new LocalUploader(http) : undefined;
    await Promise.all([
      runPool(packs, PACK_CONCURRENCY, async (pack) => {
        await http.sendStream<{ stored: BlobInfo[] }>(
          'POST',
          '/packs',
          Readable.from(packStream(pack, progress), { objectMode: false }),
          FRAMES_CONTENT_TYPE,
        );
      }),
      runPool(large, LARGE_CONCURRENCY, (f) => putLarge(http, f, progress, onStored, local)),
    ]);
  }
  return { packs: packs.length, largeBlobs: large.length };
}

/**
 * Orders strings by Unicode code point, as core's compareCodePoints does, but on UTF-16 code
 * units: the two orders differ only between a surrogate (U+D800..U+DFFF) and U+E000..U+FFFF,
 * which this maps around. Several times faster than iterating code points.
 */
export function compareUtf16AsCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The collection's latest version, or undefined when the collection has none yet. Asked before
 * hashing starts, so the answer is in by the time the manifest digest is known.
 */
export async function fetchLatest(
  http: HttpClient,
  target: UploadTarget,
): Promise<VersionInfo | undefined> {
  try {
    return await http.json<VersionInfo>('GET', '/versions/resolve', {
      query: { ref: `${target.entity}/${target.project}/${target.collection}:latest` },
    });
  } catch (err) {
    if (err instanceof CairnError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

/**
 * True when logging would change nothing: `latest` has exactly this content (same manifest
 * digest, same type) and already carries every requested alias and tag. Then no upload session
 * is needed at all. Anything else (a new collection, other content, an alias or tag to add)
 * goes through the commit, whose transaction applies it.
 */
export function sameAsLatest(
  latest: VersionInfo | undefined,
  type: string,
  digest: string,
  aliases: readonly string[],
  tags: readonly string[],
): latest is VersionInfo {
  return (
    latest !== undefined &&
    latest.digest === digest &&
    latest.type === type &&
    aliases.every((a) => latest.aliases.includes(a)) &&
    tags.every((t) => latest.tags.includes(t))
  );
}

/**
 * Gives every file still waiting for its MD5 (hashed with SHA-256 only) the MD5 the server
 * computed for its blob, or, when the server did not say (one from before `describe`), hashes it
 * here, checking it still has the SHA-256 it was logged with.
 */
class PendingMd5 {
  private readonly bySha = new Map<string, PreparedFile[]>();

  constructor(
    files: readonly PreparedFile[],
    private readonly statCache: StatCache,
  ) {
    for (const f of files) {
      if (!f.md5Pending) continue;
      const list = this.bySha.get(f.hashes.sha256);
      if (list) list.push(f);
      else this.bySha.set(f.hashes.sha256, [f]);
    }
  }

  get shas(): string[] {
    return [...this.bySha.keys()];
  }

  readonly learn = (info: BlobInfo): void => {
    const list = this.bySha.get(info.sha256);
    if (!list) return;
    this.bySha.delete(info.sha256);
    for (const f of list) {
      if (info.size !== f.hashes.size) {
        throw new CairnError(
          'DIGEST_MISMATCH',
          `the server holds blob ${info.sha256} with size ${info.size}, but ${f.item.localPath} has ${f.hashes.size} bytes`,
          { sha256: info.sha256 },
        );
      }
      settleMd5(f, info.md5, this.statCache);
    }
  };

  async hashTheRest(): Promise<void> {
    for (const [sha, list] of [...this.bySha]) {
      const first = list[0] as PreparedFile;
      const h = await hashFile(first.item.localPath, first.hashes.size);
      if (h.sha256 !== sha) {
        throw changedWhileLogged(first.item.localPath, 'its bytes differ from the ones hashed');
      }
      this.learn({ sha256: sha, md5: h.md5, size: h.size });
    }
  }
}

/**
 * The upload negotiation: tell the server every SHA-256, send only what it lacks (small blobs in
 * framed packs, large ones streamed one per request), then commit the manifest in one request.
 */
export async function uploadAndCommit(
  http: HttpClient,
  statCache: StatCache,
  target: UploadTarget,
  files: readonly PreparedFile[],
  otherEntries: readonly ManifestEntry[],
  /**
   * The commit, asked once every file's MD5 is known; undefined means there is nothing to commit
   * (the content turned out equal to latest), and the session is abandoned.
   */
  commitFor: () => CommitRequest | PlacedCommitRequest | undefined,
  onProgress?: ProgressListener,
): Promise<{ result: CommitResult | PlacementResult | undefined; stats: UploadStats }> {
  const bySha = new Map<string, PreparedFile>();
  for (const f of files) bySha.set(f.hashes.sha256, f);
  const allSha = new Set<string>(bySha.keys());
  for (const e of otherEntries) if (e.sha256) allSha.add(e.sha256);
  const pending = new PendingMd5(files, statCache);
  const describe = pending.shas;
  const start: UploadStart = {
    ...target,
    sha256: [...allSha],
    ...(describe.length > 0 ? { describe } : {}),
  };
  const session = await http.json<UploadSession>('POST', '/uploads', { json: start });
  const stats: UploadStats = {
    missing: session.missing.length,
    bytesSent: 0,
    packs: 0,
    largeBlobs: 0,
  };
  try {
    for (const info of session.described ?? []) pending.learn(info);
    const small: PreparedFile[] = [];
    const large: PreparedFile[] = [];
    for (const sha of session.missing) {
      const f = bySha.get(sha);
      if (!f) {
        const paths = otherEntries.filter((e) => e.sha256 === sha).map((e) => e.path);
        throw new CairnError(
          'MISSING_BLOBS',
          `the server no longer has the bytes of ${paths.join(', ')} (blob ${sha}) and there is no local copy to send`,
          { sha256: [sha], paths },
        );
      }
      if (f.hashes.size < SMALL_FILE_BYTES) small.push(f);
      else large.push(f);
      stats.bytesSent += f.hashes.size;
    }
    const progress = new ProgressReporter(
      onProgress,
      'uploading',
      small.length + large.length,
      stats.bytesSent,
    );
    const sent = await sendBlobs(http, session.uploadId, small, large, progress, pending.learn);
    stats.packs = sent.packs;
    stats.largeBlobs = sent.largeBlobs;
    progress.done();
    await pending.hashTheRest();
    const commit = commitFor();
    if (commit === undefined) {
      await http
        .json('DELETE', `/uploads/${encodeURIComponent(session.uploadId)}`)
        .catch(() => undefined);
      return { result: undefined, stats };
    }
    new ProgressReporter(onProgress, 'committing', 0, 0);
    // A t9k upload into a folder commits through `place`, which applies its conflict strategy.
    const route = 'placement' in commit ? 'place' : 'commit';
    const result = await http.json<CommitResult | PlacementResult>(
      'POST',
      `/uploads/${encodeURIComponent(session.uploadId)}/${route}`,
      { json: commit },
    );
    return { result, stats };
  } catch (err) {
    await http
      .json('DELETE', `/uploads/${encodeURIComponent(session.uploadId)}`)
      .catch(() => undefined);
    throw err;
  }
}
