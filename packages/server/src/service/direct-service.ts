import {
  CairnError,
  FRAME_HEADER_BYTES,
  FrameParser,
  NotFoundError,
  ValidationError,
  isSha256Hex,
  newId,
  type BlobInfo,
  type BlobLocations,
  type DirectTransferInfo,
  type DirectUploadComplete,
  type DirectUploadRequest,
  type DirectUploadTargets,
} from '@cairn/core';
import type { BlobStore, DirectBlobStore } from '../store/blob/blob-store.js';
import type { BlobRecord, MetaStore } from '../store/meta/meta-store.js';
import { objectKey, packKey } from './blob-service.js';
import { DualHash } from './hashing.js';

/** S3's limit for one PUT and one CopyObject; larger blobs go through the server (multipart). */
export const DIRECT_MAX_OBJECT_BYTES = 5 * 1024 ** 3;
/** How long presigned URLs work. A PUT or GET only has to start before this. */
const URL_TTL_SECONDS = 3600;
const MAX_TARGETS = 10_000;
const MAX_LOCATE = 10_000;
const VERIFY_CONCURRENCY = 4;
const INDEX_LOOKUP_BATCH = 1000;

/** Where a client's PUT lands: a key under the upload, which only `complete` ever reads. */
export function stagedKey(uploadId: string, id: string): string {
  return `incoming/${uploadId}/${id}`;
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)) {
    throw new ValidationError(`${JSON.stringify(id)} is not a target id this server handed out`, {
      rule: 'direct.target',
    });
  }
  return id;
}

function mismatch(what: string, declared: string, actual: string): CairnError {
  return new CairnError(
    'DIGEST_MISMATCH',
    `${what}: the uploaded bytes hash to ${actual}, not to the declared SHA-256 ${declared}; nothing of this object was stored`,
    { sha256: declared, actual },
  );
}

async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/**
 * Presigned transfers between clients and the object store. The server never trusts an object a
 * client wrote: `complete` first copies it to a fresh pack key no presigned URL names (so the
 * client cannot change it afterwards), reads that copy back and checks every SHA-256, and only
 * then indexes it. Until then no commit can use its blobs (the commit checks the index).
 */
export class DirectService {
  constructor(
    private readonly meta: MetaStore,
    private readonly store: (BlobStore & DirectBlobStore) | undefined,
  ) {}

  info(): DirectTransferInfo {
    return { enabled: this.store !== undefined, maxObjectBytes: DIRECT_MAX_OBJECT_BYTES };
  }

  private direct(): BlobStore & DirectBlobStore {
    if (!this.store) {
      throw new CairnError(
        'CONFLICT',
        'this server keeps blobs where clients cannot reach them (the filesystem, or --no-s3-direct); send bytes through /blobs and /packs',
        { rule: 'direct.disabled' },
      );
    }
    return this.store;
  }

  private async liveUpload(uploadId: string): Promise<void> {
    const u = await this.meta.getUpload(uploadId);
    if (!u || u.expiresAt < new Date().toISOString()) {
      throw new NotFoundError(
        `upload ${uploadId} does not exist (aborted or expired); start a new upload with POST /uploads`,
        { uploadId },
      );
    }
  }

  async targets(uploadId: string, body: DirectUploadRequest): Promise<DirectUploadTargets> {
    const store = this.direct();
    const packs = body.packs ?? 0;
    const blobs = Array.isArray(body.blobs) ? body.blobs : [];
    if (!Number.isSafeInteger(packs) || packs < 0 || packs + blobs.length > MAX_TARGETS) {
      throw new ValidationError(
        `ask for 0 to ${MAX_TARGETS} targets per request, got ${packs} packs and ${blobs.length} blobs`,
        { rule: 'direct.targets' },
      );
    }
    for (const b of blobs) {
      if (!isSha256Hex(b.sha256)) {
        throw new ValidationError(`${JSON.stringify(b.sha256)} is not a lower-case hex SHA-256`, {
          rule: 'sha256',
        });
      }
      if (!Number.isSafeInteger(b.size) || b.size < 0 || b.size > DIRECT_MAX_OBJECT_BYTES) {
        throw new ValidationError(
          `blob ${b.sha256}: size ${b.size} is outside 0..${DIRECT_MAX_OBJECT_BYTES} bytes a direct upload takes; send it with PUT /blobs/${b.sha256}`,
          { rule: 'direct.size' },
        );
      }
    }
    await this.liveUpload(uploadId);
    const target = async (): Promise<{ id: string; url: string }> => {
      const id = newId();
      return { id, url: await store.presignPut(stagedKey(uploadId, id), URL_TTL_SECONDS) };
    };
    const expiresAt = new Date(Date.now() + URL_TTL_SECONDS * 1000).toISOString();
    const packTargets = [];
    for (let i = 0; i < packs; i++) packTargets.push(await target());
    const blobTargets = [];
    for (const b of blobs) blobTargets.push({ ...(await target()), sha256: b.sha256 });
    return { expiresAt, packs: packTargets, blobs: blobTargets };
  }

  async complete(uploadId: string, body: DirectUploadComplete): Promise<BlobInfo[]> {
    const store = this.direct();
    const packs = (body.packs ?? []).map(checkId);
    const blobs = (body.blobs ?? []).map((b) => {
      if (!isSha256Hex(b.sha256)) {
        throw new ValidationError(`${JSON.stringify(b.sha256)} is not a lower-case hex SHA-256`, {
          rule: 'sha256',
        });
      }
      return { id: checkId(b.id), sha256: b.sha256 };
    });
    if (packs.length + blobs.length > MAX_TARGETS) {
      throw new ValidationError(`complete at most ${MAX_TARGETS} targets per request`, {
        rule: 'direct.targets',
      });
    }
    await this.liveUpload(uploadId);
    const stored: BlobInfo[] = [];
    const work = [
      ...packs.map((id) => ({ id, sha256: undefined as string | undefined })),
      ...blobs,
    ];
    await pool(work, VERIFY_CONCURRENCY, async (w) => {
      stored.push(...(await this.adopt(store, uploadId, w.id, w.sha256)));
    });
    return stored;
  }

  /**
   * Copy, verify, index. `sha256` set: the object is one blob's raw bytes; unset: a framed pack.
   * On any failure both the staged object and the copy are deleted and nothing is indexed.
   */
  private async adopt(
    store: BlobStore & DirectBlobStore,
    uploadId: string,
    id: string,
    sha256: string | undefined,
  ): Promise<BlobInfo[]> {
    const staged = stagedKey(uploadId, id);
    const packId = newId();
    const key = packKey(packId);
    try {
      try {
        await store.copy(staged, key);
      } catch (err) {
        if (err instanceof CairnError && err.code === 'NOT_FOUND') {
          throw new CairnError(
            'MISSING_BLOBS',
            `nothing was uploaded to target ${id} (or it was already completed); PUT the bytes to its URL first`,
            { target: id },
          );
        }
        throw err;
      }
      await store.delete(staged);
      const { rows, size } =
        sha256 !== undefined
          ? await this.verifyBlob(store, key, packId, sha256)
          : await this.verifyPack(store, key, packId);
      const fresh = await this.notIndexed(rows);
      if (fresh.length === 0) {
        await store.delete(key);
      } else {
        await this.meta.transaction((tx) => tx.insertBlobs(fresh, packId, size), {
          durable: false,
        });
      }
      return rows.map((r) => ({ sha256: r.sha256, md5: r.md5, size: r.size }));
    } catch (err) {
      await store.delete(key).catch(() => undefined);
      await store.delete(staged).catch(() => undefined);
      throw err;
    }
  }

  private async verifyBlob(
    store: BlobStore,
    key: string,
    packId: string,
    sha256: string,
  ): Promise<{ rows: BlobRecord[]; size: number }> {
    const hash = new DualHash();
    for await (const chunk of await store.get(key)) hash.update(chunk as Uint8Array);
    const d = hash.digest();
    if (d.sha256 !== sha256) throw mismatch(`blob ${sha256}`, sha256, d.sha256);
    return { rows: [{ ...d, packId, offset: 0 }], size: d.size };
  }

  /** Parses the pack's frames as POST /packs does, hashing each; rows point into the object. */
  private async verifyPack(
    store: BlobStore,
    key: string,
    packId: string,
  ): Promise<{ rows: BlobRecord[]; size: number }> {
    const parser = new FrameParser();
    const rows: BlobRecord[] = [];
    const seen = new Set<string>();
    let pos = 0;
    let frame: { hash: DualHash; offset: number } | null = null;
    for await (const chunk of await store.get(key)) {
      for (const ev of parser.push(chunk as Uint8Array)) {
        if (ev.kind === 'start') {
          frame = { hash: new DualHash(), offset: pos + FRAME_HEADER_BYTES };
          pos = frame.offset + ev.length;
        } else if (ev.kind === 'data') {
          frame?.hash.update(ev.bytes);
        } else {
          const d = (frame?.hash ?? new DualHash()).digest();
          if (d.sha256 !== ev.sha256)
            throw mismatch(`pack frame ${ev.sha256}`, ev.sha256, d.sha256);
          if (!seen.has(d.sha256)) rows.push({ ...d, packId, offset: frame?.offset ?? 0 });
          seen.add(d.sha256);
          frame = null;
        }
      }
    }
    parser.finish();
    return { rows, size: pos };
  }

  private async notIndexed(rows: BlobRecord[]): Promise<BlobRecord[]> {
    const known = new Set<string>();
    for (let i = 0; i < rows.length; i += INDEX_LOOKUP_BATCH) {
      const batch = rows.slice(i, i + INDEX_LOOKUP_BATCH).map((r) => r.sha256);
      for (const sha of await this.meta.presentBlobs(batch)) known.add(sha);
    }
    return rows.filter((r) => !known.has(r.sha256));
  }

  async locate(sha256s: string[]): Promise<BlobLocations> {
    const store = this.direct();
    if (!Array.isArray(sha256s) || sha256s.length > MAX_LOCATE) {
      throw new ValidationError(`locate at most ${MAX_LOCATE} blobs per request`, {
        rule: 'direct.locate',
      });
    }
    for (const s of sha256s) {
      if (!isSha256Hex(s)) {
        throw new ValidationError(`${JSON.stringify(s)} is not a lower-case hex SHA-256`, {
          rule: 'sha256',
        });
      }
    }
    const records: BlobRecord[] = [];
    const unique = [...new Set(sha256s)];
    for (let i = 0; i < unique.length; i += INDEX_LOOKUP_BATCH) {
      records.push(...(await this.meta.findBlobs(unique.slice(i, i + INDEX_LOOKUP_BATCH))));
    }
    const have = new Set(records.map((b) => b.sha256));
    const missing = unique.filter((s) => !have.has(s));
    if (missing.length > 0) {
      throw new NotFoundError(
        `${missing.length} requested blob(s) are not stored here: ${missing.slice(0, 5).join(', ')}`,
        { missing },
      );
    }
    const urls = new Map<string, string>();
    const items = [];
    for (const b of records) {
      const key = objectKey(b);
      let url = urls.get(key);
      if (url === undefined) {
        url = await store.presignGet(key, URL_TTL_SECONDS);
        urls.set(key, url);
      }
      items.push({ sha256: b.sha256, size: b.size, url, offset: b.offset });
    }
    return { expiresAt: new Date(Date.now() + URL_TTL_SECONDS * 1000).toISOString(), items };
  }
}
