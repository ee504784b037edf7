import { Readable } from 'node:stream';
import {
  CairnError,
  FrameParser,
  NotFoundError,
  encodeFrameHeader,
  isSha256Hex,
  newId,
  readRuns,
  runSpan,
  type BlobInfo,
  type LocalBlobFile,
} from '@cairn/core';
import type { BlobStore, ByteRange, ObjectWriter } from '../store/blob/blob-store.js';
import type { BlobRecord, MetaStore } from '../store/meta/meta-store.js';
import { DualHash, OffThreadDualHash } from './hashing.js';

/** Small blobs share a pack object until it passes this size; then the next pack starts. */
export const PACK_TARGET_BYTES = 64 * 1024 * 1024;
/** Pack frames up to this size are held in memory until their batch is looked up in the index. */
export const PACK_FRAME_STREAM_BYTES = 1024 * 1024;
const PRESENCE_BATCH_COUNT = 1000;
/** How long a writer waits for a collection to finish deleting the old bytes of a key. */
const REVIVE_WAIT_MS = 30_000;
const PRESENCE_BATCH_BYTES = 8 * 1024 * 1024;

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

function checkShas(sha256s: readonly string[]): void {
  for (const s of sha256s) {
    if (!isSha256Hex(s)) {
      throw new CairnError('VALIDATION', `${JSON.stringify(s)} is not a lower-case hex SHA-256`, {
        rule: 'sha256',
      });
    }
  }
}

/** The wire's view of an index row. */
export function info(b: BlobRecord): BlobInfo {
  return { sha256: b.sha256, md5: b.md5, size: b.size };
}

/** Passes bytes through while hashing them; fails at the end, before the store commits, on a lie. */
async function* verified(
  source: AsyncIterable<Uint8Array>,
  hash: OffThreadDualHash,
  expected: string | undefined,
): AsyncIterable<Uint8Array> {
  let complete = false;
  try {
    for await (const chunk of source) {
      await hash.update(chunk);
      yield chunk;
    }
    complete = true;
  } finally {
    // Also when the consumer stops early (a failed write): the worker forgets the stream.
    if (!complete) hash.abort();
  }
  const d = await hash.digest();
  if (expected !== undefined && d.sha256 !== expected) throw mismatch(expected, d.sha256);
}

interface OpenPack {
  packId: string;
  writer: ObjectWriter;
  bytes: number;
  rows: BlobRecord[];
}

/** A small frame whose bytes matched its SHA-256, held until its batch's index lookup. */
interface HeldFrame {
  blob: BlobInfo;
  parts: Uint8Array[];
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

  /** The index rows of these blobs (each once); NOT_FOUND naming any that are not stored. */
  private async findAll(sha256s: string[]): Promise<BlobRecord[]> {
    checkShas(sha256s);
    const records = await this.meta.findBlobs(sha256s);
    const have = new Set(records.map((b) => b.sha256));
    const missing = [...new Set(sha256s)].filter((s) => !have.has(s));
    if (missing.length > 0) {
      throw new NotFoundError(
        `${missing.length} requested blob(s) are not stored here: ${missing.slice(0, 5).join(', ')}`,
        { missing },
      );
    }
    return records;
  }

  /** BlobInfo (with the MD5 the server computed) of each of these it has; unknown ones are left out. */
  async describe(sha256s: string[]): Promise<BlobInfo[]> {
    checkShas(sha256s);
    return (await this.meta.findBlobs([...new Set(sha256s)])).map(info);
  }

  /**
   * Where blobs lie as files of this machine (a filesystem store): a blob with an object of its
   * own, or a pack of one that holds exactly its bytes (large blobs sent without a hash), as a
   * whole file; with `packed`, blobs inside larger packs too, as a range (`offset`). Unknown
   * hashes and stores of other kinds are left out. Packs are never rewritten once stored, so a
   * range stays right for as long as the pack exists.
   */
  async localFiles(sha256s: string[], opts: { packed?: boolean } = {}): Promise<LocalBlobFile[]> {
    checkShas(sha256s);
    const localPath = this.store.localPath?.bind(this.store);
    if (!localPath) return [];
    const out: LocalBlobFile[] = [];
    // One stat and one path per pack, not per blob: 10^4 small blobs share a few packs.
    const packs = new Map<string, { path: string; size: number } | 'gone'>();
    for (const b of await this.meta.findBlobs(sha256s)) {
      if (b.packId === null) {
        out.push({ sha256: b.sha256, size: b.size, path: localPath(blobKey(b.sha256)) });
        continue;
      }
      let pack = packs.get(b.packId);
      if (pack === undefined) {
        const key = packKey(b.packId);
        const size = await this.store.head(key);
        pack = size === undefined ? 'gone' : { path: localPath(key), size };
        packs.set(b.packId, pack);
      }
      if (pack === 'gone') continue;
      if (b.offset === 0 && pack.size === b.size) {
        out.push({ sha256: b.sha256, size: b.size, path: pack.path });
      } else if (opts.packed) {
        out.push({ sha256: b.sha256, size: b.size, path: pack.path, offset: b.offset });
      }
    }
    return out;
  }

  async missing(sha256s: string[]): Promise<string[]> {
    checkShas(sha256s);
    const have = await this.meta.presentBlobs(sha256s);
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
    const hash = new OffThreadDualHash();
    let packId: string | null = null;
    if (expected !== undefined) {
      // The key may be retired from an earlier copy: take it back, or wait out a deletion.
      await this.reviveKey(blobKey(expected));
      await this.store.put(blobKey(expected), verified(source, hash, expected));
    } else {
      packId = newId();
      await this.store.put(packKey(packId), verified(source, hash, undefined));
    }
    const d = await hash.digest();
    const existing = packId !== null ? await this.meta.getBlob(d.sha256) : undefined;
    if (packId !== null && existing) {
      // Sent without its hash but already stored: the new copy is never indexed, so drop it.
      await this.store.delete(packKey(packId));
      return info(existing);
    }
    const row: BlobRecord = { sha256: d.sha256, md5: d.md5, size: d.size, packId, offset: 0 };
    if (packId !== null) await this.meta.insertBlobs([row], packId, d.size);
    else {
      // Indexed only while no collection has claimed the key: a claim made after the revival
      // above (the object sat unindexed past a grace period) means its bytes may be gone.
      await this.meta.transaction(async (tx) => {
        if ((await tx.reviveObjects([blobKey(d.sha256)])).length > 0) {
          throw new CairnError(
            'UNAVAILABLE',
            `blob ${d.sha256} was being deleted by garbage collection while it was stored; send it again`,
            { sha256: d.sha256 },
          );
        }
        await tx.insertBlobs([row], null, d.size);
      });
    }
    return info((await this.meta.getBlob(d.sha256)) ?? row);
  }

  /**
   * Takes a stand-alone key out of retirement before its bytes are written again. While a
   * collection holds a claim on it (it is deleting those bytes) this waits, up to
   * REVIVE_WAIT_MS, then answers UNAVAILABLE so the client retries.
   */
  private async reviveKey(key: string): Promise<void> {
    const until = Date.now() + REVIVE_WAIT_MS;
    while ((await this.meta.reviveObjects([key])).length > 0) {
      if (Date.now() > until) {
        throw new CairnError(
          'UNAVAILABLE',
          `object ${key} is being deleted by garbage collection; send the blob again shortly`,
          { key },
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * A framed stream of small blobs, written into as few pack objects as the size target allows
   * (one fsync each). Blobs already stored are verified and skipped. The index learns about the
   * packs only after the whole stream has arrived and every frame matched its SHA-256.
   *
   * Small frames are held (verified) until a batch of them is complete, so one index lookup
   * answers which of a thousand blobs are new; a frame above PACK_FRAME_STREAM_BYTES is looked up
   * alone and streamed to the pack as it arrives, so no request can make the server buffer it.
   */
  async putPack(source: AsyncIterable<Uint8Array>): Promise<BlobInfo[]> {
    const parser = new FrameParser();
    const stored: BlobInfo[] = [];
    const seen = new Set<string>();
    const sealed: SealedPack[] = [];
    // In an object so the helpers below and the loop see one current pack.
    const cur: { open: OpenPack | null } = { open: null };
    let pending: HeldFrame[] = [];
    let pendingBytes = 0;
    let frame: {
      hash: DualHash;
      parts: Uint8Array[] | null;
      offset: number;
      write: boolean;
    } | null = null;

    const seal = async (p: OpenPack): Promise<void> => {
      sealed.push({ packId: p.packId, size: await p.writer.commit(), rows: p.rows });
    };
    const openPack = async (): Promise<OpenPack> => {
      if (cur.open === null) {
        const packId = newId();
        cur.open = {
          packId,
          writer: await this.store.createWriter(packKey(packId)),
          bytes: 0,
          rows: [],
        };
      }
      return cur.open;
    };
    /** Indexes a blob written at `offset`; true when the pack reached its size (seal it). */
    const record = (p: OpenPack, blob: BlobInfo, offset: number): boolean => {
      p.rows.push({ ...blob, packId: p.packId, offset });
      return p.bytes >= PACK_TARGET_BYTES;
    };
    const sealFull = async (p: OpenPack): Promise<void> => {
      cur.open = null;
      await seal(p);
    };
    /** Writes the held frames the index does not know yet (one lookup for all of them). */
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      pendingBytes = 0;
      const present = await this.meta.presentBlobs(batch.map((f) => f.blob.sha256));
      // Synchronous per frame: the parts of a pack's run of frames go to its writer at once.
      let p: OpenPack | null = null;
      let parts: Uint8Array[] = [];
      for (const f of batch) {
        if (present.has(f.blob.sha256)) continue;
        p ??= await openPack();
        const offset = p.bytes;
        for (const part of f.parts) parts.push(part);
        p.bytes += f.blob.size;
        if (record(p, f.blob, offset)) {
          await p.writer.writeAll(parts);
          parts = [];
          await sealFull(p);
          p = null;
        }
      }
      if (p !== null) await p.writer.writeAll(parts);
    };

    try {
      for await (const chunk of source) {
        for (const ev of parser.push(chunk)) {
          if (ev.kind === 'start') {
            if (ev.length <= PACK_FRAME_STREAM_BYTES) {
              frame = { hash: new DualHash(), parts: [], offset: 0, write: false };
              continue;
            }
            // A large frame: what is held goes first (keeps offsets in stream order), then this
            // one is written while it arrives unless the index already has it.
            await flush();
            const skip = seen.has(ev.sha256) || (await this.meta.getBlob(ev.sha256)) !== undefined;
            const offset = skip ? 0 : (await openPack()).bytes;
            frame = { hash: new DualHash(), parts: null, offset, write: !skip };
          } else if (ev.kind === 'data') {
            if (frame === null) continue;
            frame.hash.update(ev.bytes);
            if (frame.parts !== null) {
              frame.parts.push(ev.bytes);
            } else if (frame.write && cur.open !== null) {
              await cur.open.writer.write(ev.bytes);
              cur.open.bytes += ev.bytes.byteLength;
            }
          } else {
            const d = (frame?.hash ?? new DualHash()).digest();
            if (d.sha256 !== ev.sha256) throw mismatch(ev.sha256, d.sha256);
            const blob: BlobInfo = { sha256: d.sha256, md5: d.md5, size: d.size };
            const firstTime = !seen.has(d.sha256);
            seen.add(d.sha256);
            stored.push(blob);
            if (frame?.parts && firstTime) {
              pending.push({ blob, parts: frame.parts });
              pendingBytes += d.size;
              if (pending.length >= PRESENCE_BATCH_COUNT || pendingBytes >= PRESENCE_BATCH_BYTES)
                await flush();
            } else if (frame?.write && cur.open !== null) {
              if (record(cur.open, blob, frame.offset)) await sealFull(cur.open);
            }
            frame = null;
          }
        }
      }
      parser.finish();
      await flush();
      if (cur.open !== null) {
        const p: OpenPack = cur.open;
        cur.open = null;
        await seal(p);
      }
    } catch (err) {
      const p: OpenPack | null = cur.open;
      if (p !== null) await p.writer.abort();
      // Durable but never indexed: remove them so nothing of a rejected request remains.
      for (const s of sealed) await this.store.delete(packKey(s.packId)).catch(() => undefined);
      throw err;
    }
    // Not flushed on its own: the packs are durable already, and the commit that names their
    // blobs is durable and flushes these rows with it.
    await this.meta.transaction(
      async (tx) => {
        for (const s of sealed) await tx.insertBlobs(s.rows, s.packId, s.size);
      },
      { durable: false },
    );
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

  /**
   * Many blobs as one framed stream; unknown hashes fail before any byte is sent. Frames come in
   * storage order, not request order (the framing names each blob): blobs are sorted by pack and
   * offset, adjacent ones read with one read per run, and frames sent in chunks of about 1 MiB.
   */
  async batch(sha256s: string[]): Promise<AsyncIterable<Uint8Array>> {
    const records = await this.findAll(sha256s);
    const keyed = records.map((b) => ({ b, key: objectKey(b) }));
    keyed.sort((x, y) => (x.key === y.key ? x.b.offset - y.b.offset : x.key < y.key ? -1 : 1));
    const runs = readRuns(
      keyed.map((k) => k.b),
      RUN_LIMITS,
      objectKey,
    );
    const store = this.store;
    const read = this.read.bind(this);
    return (async function* frames() {
      let out: Uint8Array[] = [];
      let outBytes = 0;
      const add = (bytes: Uint8Array): void => {
        out.push(bytes);
        outBytes += bytes.byteLength;
      };
      const take = (): Uint8Array => {
        const chunk = Buffer.concat(out, outBytes);
        out = [];
        outBytes = 0;
        return chunk;
      };
      for (const run of runs) {
        const first = run[0] as BlobRecord;
        if (run.length === 1 && first.size > RUN_MAX_BYTES) {
          // Too big to hold: streamed as it is read.
          add(encodeFrameHeader(first.sha256, first.size));
          yield take();
          for await (const chunk of await read(first)) yield chunk as Uint8Array;
          continue;
        }
        const span = runSpan(run);
        const bytes = await store.readRange(objectKey(first), span.offset, span.length);
        for (const b of run) {
          add(encodeFrameHeader(b.sha256, b.size));
          if (b.size > 0)
            add(bytes.subarray(b.offset - first.offset, b.offset - first.offset + b.size));
          if (outBytes >= BATCH_CHUNK_BYTES) yield take();
        }
      }
      if (outBytes > 0) yield take();
    })();
  }
}

/** Reads of at most this many bytes gather adjacent blobs of one object; bigger blobs stream. */
const RUN_MAX_BYTES = 4 * 1024 * 1024;
/** Blobs closer than this within a pack share one read (the gap is read and dropped). */
const RUN_LIMITS = { maxGap: 64 * 1024, maxBytes: RUN_MAX_BYTES };
const BATCH_CHUNK_BYTES = 1024 * 1024;
