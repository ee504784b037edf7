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
import { hashBytes } from './hashing.js';
import type { HttpClient } from './http.js';
import { runPool } from './pool.js';
import { SMALL_FILE_BYTES, changedWhileLogged } from './prepare.js';
import type { PreparedFile } from './prepare.js';
import { ProgressReporter, countedFile } from './progress.js';
import type { ProgressListener } from './progress.js';

/** Upper bound of one pack upload: many small blobs in one framed stream. */
export const PACK_MAX_BYTES = 64 * 1024 * 1024;
const PACK_CONCURRENCY = 2;
/** Frames are gathered into chunks of about this size: one body write per chunk, not per file. */
const PACK_CHUNK_BYTES = 1 << 20;
const LARGE_CONCURRENCY = 3;

export interface UploadStats {
  /** SHA-256s the server said it lacked (what was sent). */
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

async function putLarge(
  http: HttpClient,
  f: PreparedFile,
  progress: ProgressReporter,
): Promise<void> {
  const file = createReadStream(f.item.localPath, { highWaterMark: 1 << 20 });
  try {
    await http.sendStream<BlobInfo>(
      'PUT',
      `/blobs/${f.hashes.sha256}`,
      Readable.from(countedFile(file, progress), { objectMode: false }),
    );
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
 * Sends blobs the server said it lacks: small ones in framed packs, large ones streamed one per
 * request. The server checks every SHA-256.
 */
export async function sendBlobs(
  http: HttpClient,
  uploadId: string,
  small: readonly PreparedFile[],
  large: readonly PreparedFile[],
  progress: ProgressReporter,
): Promise<{ packs: number; largeBlobs: number }> {
  const packs = groupPacks(small);
  // With direct transfer the bytes go straight to the object store; the server only verifies.
  const direct = await directTransfer(http);
  if (direct) {
    await uploadDirect(http, direct, uploadId, packs, large, progress, {
      packBody: (pack) => Readable.from(packStream(pack, progress), { objectMode: false }),
      viaServer: (f) => putLarge(http, f, progress),
    });
  } else {
    await Promise.all([
      runPool(packs, PACK_CONCURRENCY, async (pack) => {
        await http.sendStream<{ stored: BlobInfo[] }>(
          'POST',
          '/packs',
          Readable.from(packStream(pack, progress), { objectMode: false }),
          FRAMES_CONTENT_TYPE,
        );
      }),
      runPool(large, LARGE_CONCURRENCY, (f) => putLarge(http, f, progress)),
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
 * The upload negotiation: tell the server every SHA-256, send only what it lacks (small blobs in
 * framed packs, large ones streamed one per request), then commit the manifest in one request.
 */
export async function uploadAndCommit(
  http: HttpClient,
  target: UploadTarget,
  files: readonly PreparedFile[],
  otherEntries: readonly ManifestEntry[],
  commit: CommitRequest | PlacedCommitRequest,
  onProgress?: ProgressListener,
): Promise<{ result: CommitResult | PlacementResult; stats: UploadStats }> {
  const bySha = new Map<string, PreparedFile>();
  for (const f of files) bySha.set(f.hashes.sha256, f);
  const allSha = new Set<string>(bySha.keys());
  for (const e of otherEntries) if (e.sha256) allSha.add(e.sha256);
  const start: UploadStart = { ...target, sha256: [...allSha] };
  const session = await http.json<UploadSession>('POST', '/uploads', { json: start });
  const stats: UploadStats = {
    missing: session.missing.length,
    bytesSent: 0,
    packs: 0,
    largeBlobs: 0,
  };
  try {
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
    const sent = await sendBlobs(http, session.uploadId, small, large, progress);
    stats.packs = sent.packs;
    stats.largeBlobs = sent.largeBlobs;
    progress.done();
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
      .request('DELETE', `/uploads/${encodeURIComponent(session.uploadId)}`)
      .catch(() => undefined);
    throw err;
  }
}
