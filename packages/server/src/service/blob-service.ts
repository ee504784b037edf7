import { Readable } from 'node:stream';
import {
  CairnError,
  FrameParser,
  NotFoundError,
  encodeFrameHeader,
  isSha256Hex,
  newId,
  type BlobInfo,
} from '@cairn/core';
import type { BlobStore, ByteRange, ObjectWriter } from '../store/blob/blob-store.js';
import type { BlobRecord, MetaStore } from '../store/meta/meta-store.js';
import { DualHash } from './hashing.js';

/** Small blobs share a pack object until it passes this size; then the next pack starts. */
export const PACK_TARGET_BYTES = 64 * 1024 * 1024;

/** Where a blob stored alone lives: its content address. */
export function blobKey(sha256: string): string {
  return `blobs/${sha256.slice(0, 2)}/${sha256}`;
}

/** Where a pack (many small blobs, or one blob sent without its hash) lives. */
export function packKey(packId: string): string {
  return `packs/${packId.slice(0, 2)}/${packId}`;
}

export function objectKey(b: BlobRecord): string {
  return b.packId === null ? blobKey(b.sha256) : packKey(b.packId);
}

function mismatch(declared: string, actual: string): CairnError {
  return new CairnError(
    'DIGEST_MISMATCH',
    `blob ${declared}: the bytes sent hash to ${actual}, not to the declared SHA-256; nothing from this request was stored`,
    { sha256: declared, actual },
  );
}

function info(b: BlobRecord): BlobInfo {
  return { sha256: b.sha256, md5: b.md5, size: b.size };
}

/** Passes bytes through while hashing them; fails at the end, before the store commits, on a lie. */
async function* verified(
  source: AsyncIterable<Uint8Array>,
  hash: DualHash,
  expected: string | undefined,
): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
  const d = hash.digest();
  if (expected !== undefined && d.sha256 !== expected) throw mismatch(expected, d.sha256);
}

interface OpenPack {
  packId: string;
  writer: ObjectWriter;
  bytes: number;
  rows: BlobRecord[];
}

interface SealedPack {
  packId: string;
  size: number;
  rows: BlobRecord[];
}

/**
 * Stores and serves blob bytes. The order of writes is the invariant: bytes are hashed while
 * they stream into a new object, the object is made durable, and only then do index rows point
 * at it. A request carrying any bytes that do not match their declared SHA-256 indexes nothing.
 */
export class BlobService {
  constructor(
    private readonly meta: MetaStore,
    private readonly store: BlobStore,
  ) {}

  async missing(sha256s: string[]): Promise<string[]> {
    for (const s of sha256s) {
      if (!isSha256Hex(s)) {
        throw new CairnError('VALIDATION', `${JSON.stringify(s)} is not a lower-case hex SHA-256`, {
          rule: 'sha256',
        });
      }
    }
    const have = new Set((await this.meta.findBlobs(sha256s)).map((b) => b.sha256));
    return [...new Set(sha256s)].filter((s) => !have.has(s));
  }

  /**
   * One blob as its own object. With `expected` (PUT /blobs/:sha256) it lands at its content
   * address and is refused unless its bytes hash to it; without (POST /blobs) the server hashes
   * it and stores it as a pack of one.
   */
  async putBlob(source: AsyncIterable<Uint8Array>, expected?: string): Promise<BlobInfo> {
    if (expected !== undefined) {
      const existing = await this.meta.getBlob(expected);
      if (existing) {
        // Already stored (the client raced another upload): drain and keep the stored copy.
        for await (const chunk of source) void chunk;
        return info(existing);
      }
    }
    const hash = new DualHash();
    let packId: string | null = null;
    if (expected !== undefined) {
      await this.store.put(blobKey(expected), verified(source, hash, expected));
    } else {
      packId = newId();
      await this.store.put(packKey(packId), verified(source, hash, undefined));
    }
    const d = hash.digest();
    const existing = packId !== null ? await this.meta.getBlob(d.sha256) : undefined;
    if (packId !== null && existing) {
      // Sent without its hash but already stored: the new copy is never indexed, so drop it.
      await this.store.delete(packKey(packId));
      return info(existing);
    }
    const row: BlobRecord = { sha256: d.sha256, md5: d.md5, size: d.size, packId, offset: 0 };
    await this.meta.insertBlobs([row], packId, d.size);
    return info((await this.meta.getBlob(d.sha256)) ?? row);
  }

  /**
   * A framed stream of small blobs, written into as few pack objects as the size target allows
   * (one fsync each). Blobs already stored are verified and skipped. The index learns about the
   * packs only after the whole stream has arrived and every frame matched its SHA-256.
   */
  async putPack(source: AsyncIterable<Uint8Array>): Promise<BlobInfo[]> {
    const parser = new FrameParser();
    const stored: BlobInfo[] = [];
    const seen = new Set<string>();
    const sealed: SealedPack[] = [];
    let open: OpenPack | null = null;
    let frame: { hash: DualHash; offset: number; write: boolean } | null = null;

    const seal = async (p: OpenPack): Promise<void> => {
      sealed.push({ packId: p.packId, size: await p.writer.commit(), rows: p.rows });
    };

    try {
      for await (const chunk of source) {
        const events = parser.push(chunk);
        // One index lookup per network chunk, not per frame: packs carry thousands of blobs.
        const starting = events.flatMap((ev) => (ev.kind === 'start' ? [ev.sha256] : []));
        const present = new Set(
          starting.length === 0 ? [] : (await this.meta.findBlobs(starting)).map((b) => b.sha256),
        );
        for (const ev of events) {
          if (ev.kind === 'start') {
            const skip = seen.has(ev.sha256) || present.has(ev.sha256);
            if (!skip && open === null) {
              const packId = newId();
              open = {
                packId,
                writer: await this.store.createWriter(packKey(packId)),
                bytes: 0,
                rows: [],
              };
            }
            frame = { hash: new DualHash(), offset: open?.bytes ?? 0, write: !skip };
          } else if (ev.kind === 'data') {
            frame?.hash.update(ev.bytes);
            if (frame?.write && open !== null) {
              await open.writer.write(ev.bytes);
              open.bytes += ev.bytes.byteLength;
            }
          } else {
            const d = (frame?.hash ?? new DualHash()).digest();
            if (d.sha256 !== ev.sha256) throw mismatch(ev.sha256, d.sha256);
            const blob: BlobInfo = { sha256: d.sha256, md5: d.md5, size: d.size };
            seen.add(d.sha256);
            stored.push(blob);
            if (frame?.write && open !== null) {
              const p: OpenPack = open;
              p.rows.push({ ...blob, packId: p.packId, offset: frame.offset });
              if (p.bytes >= PACK_TARGET_BYTES) {
                open = null;
                await seal(p);
              }
            }
            frame = null;
          }
        }
      }
      parser.finish();
      if (open !== null) {
        const p: OpenPack = open;
        open = null;
        await seal(p);
      }
    } catch (err) {
      const p: OpenPack | null = open;
      if (p !== null) await p.writer.abort();
      // Durable but never indexed: remove them so nothing of a rejected request remains.
      for (const s of sealed) await this.store.delete(packKey(s.packId)).catch(() => undefined);
      throw err;
    }
    await this.meta.transaction(async (tx) => {
      for (const s of sealed) await tx.insertBlobs(s.rows, s.packId, s.size);
    });
    return stored;
  }

  async blobInfo(sha256: string): Promise<BlobRecord> {
    const b = await this.meta.getBlob(sha256);
    if (!b) throw new NotFoundError(`blob ${sha256} is not stored here`, { sha256 });
    return b;
  }

  /** Bytes of a blob, or of a byte range within it (inclusive, relative to the blob). */
  async read(b: BlobRecord, range?: ByteRange): Promise<Readable> {
    const start = range?.start ?? 0;
    const end = range?.end ?? b.size - 1;
    if (end < start) return Readable.from([]);
    return this.store.get(objectKey(b), { start: b.offset + start, end: b.offset + end });
  }

  /** Many blobs as one framed stream; unknown hashes fail before any byte is sent. */
  async batch(sha256s: string[]): Promise<AsyncIterable<Uint8Array>> {
    const missing = await this.missing(sha256s);
    if (missing.length > 0) {
      throw new NotFoundError(
        `${missing.length} requested blob(s) are not stored here: ${missing.slice(0, 5).join(', ')}`,
        { missing },
      );
    }
    const bySha = new Map((await this.meta.findBlobs(sha256s)).map((b) => [b.sha256, b]));
    const read = this.read.bind(this);
    return (async function* frames() {
      for (const s of sha256s) {
        const b = bySha.get(s);
        if (!b) continue;
        yield encodeFrameHeader(b.sha256, b.size);
        for await (const chunk of await read(b)) yield chunk as Uint8Array;
      }
    })();
  }
}
