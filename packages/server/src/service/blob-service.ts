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

/** Where a pack (or a blob stored alone, a pack of one) lives in the object store. */
export function packKey(packId: string): string {
  return `packs/${packId.slice(0, 2)}/${packId}`;
}

function mismatch(declared: string, actual: string): CairnError {
  return new CairnError(
    'DIGEST_MISMATCH',
    `blob bytes hash to ${actual}, not the declared SHA-256 ${declared}; nothing was stored`,
    { declared, actual },
  );
}

function info(b: BlobRecord): BlobInfo {
  return { sha256: b.sha256, md5: b.md5, size: b.size };
}

/**
 * Stores and serves blob bytes. The order of writes is the invariant: bytes are hashed while
 * they stream into a new object, the object is made durable, and only then do index rows point
 * at it. A blob whose bytes do not match its declared SHA-256 is never indexed.
 */
export class BlobService {
  constructor(
    private readonly meta: MetaStore,
    private readonly store: BlobStore,
  ) {}

  async missing(sha256s: string[]): Promise<string[]> {
    for (const s of sha256s) {
      if (!isSha256Hex(s)) {
        throw new CairnError('VALIDATION', `${JSON.stringify(s)} is not a hex SHA-256`, {
          rule: 'sha256',
        });
      }
    }
    const have = new Set((await this.meta.findBlobs(sha256s)).map((b) => b.sha256));
    return [...new Set(sha256s)].filter((s) => !have.has(s));
  }

  /** One blob as its own object; `expected` (hex SHA-256) is checked before anything is indexed. */
  async putBlob(source: AsyncIterable<Uint8Array>, expected?: string): Promise<BlobInfo> {
    if (expected !== undefined) {
      const existing = await this.meta.getBlob(expected);
      if (existing) {
        // Already stored: the client raced another upload. Drain and keep the stored copy.
        for await (const chunk of source) void chunk;
        return info(existing);
      }
    }
    const packId = newId();
    const writer = await this.store.createWriter(packKey(packId));
    const hash = new DualHash();
    try {
      for await (const chunk of source) {
        hash.update(chunk);
        await writer.write(chunk);
      }
    } catch (err) {
      await writer.abort();
      throw err;
    }
    const d = hash.digest();
    if (expected !== undefined && d.sha256 !== expected) {
      await writer.abort();
      throw mismatch(expected, d.sha256);
    }
    if (await this.meta.getBlob(d.sha256)) {
      await writer.abort();
      return { sha256: d.sha256, md5: d.md5, size: d.size };
    }
    const size = await writer.commit();
    const row: BlobRecord = { sha256: d.sha256, md5: d.md5, size: d.size, packId, offset: 0 };
    await this.meta.insertBlobs([row], packId, size);
    return info(row);
  }

  /** A framed stream of small blobs, written into as few pack objects as the size target allows. */
  async putPack(source: AsyncIterable<Uint8Array>): Promise<BlobInfo[]> {
    const parser = new FrameParser();
    const stored: BlobInfo[] = [];
    let writer: ObjectWriter | null = null;
    let packId = '';
    let packBytes = 0;
    let rows: BlobRecord[] = [];
    let hash: DualHash | null = null;
    let frameStart = 0;

    const seal = async () => {
      if (writer === null) return;
      const w = writer;
      writer = null;
      const size = await w.commit();
      await this.meta.insertBlobs(rows, packId, size);
      rows = [];
    };

    try {
      for await (const chunk of source) {
        for (const ev of parser.push(chunk)) {
          if (ev.kind === 'start') {
            if (writer === null) {
              packId = newId();
              packBytes = 0;
              writer = await this.store.createWriter(packKey(packId));
            }
            hash = new DualHash();
            frameStart = packBytes;
          } else if (ev.kind === 'data') {
            hash?.update(ev.bytes);
            await writer?.write(ev.bytes);
            packBytes += ev.bytes.byteLength;
          } else {
            const d = (hash ?? new DualHash()).digest();
            if (d.sha256 !== ev.sha256) throw mismatch(ev.sha256, d.sha256);
            rows.push({ sha256: d.sha256, md5: d.md5, size: d.size, packId, offset: frameStart });
            stored.push({ sha256: d.sha256, md5: d.md5, size: d.size });
            hash = null;
            if (packBytes >= PACK_TARGET_BYTES) await seal();
          }
        }
      }
      parser.finish();
      await seal();
    } catch (err) {
      const w: ObjectWriter | null = writer;
      if (w !== null) await w.abort();
      throw err;
    }
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
    if (b.packId === null) throw new CairnError('INTERNAL', `blob ${b.sha256} has no object`);
    return this.store.get(packKey(b.packId), { start: b.offset + start, end: b.offset + end });
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
