import { createHash } from 'node:crypto';
import { CairnError, MAX_TTL_MS, newId, type GcReport, type GcRequest } from '@cairn/core';
import { isDirect, type BlobStore } from '../store/blob/blob-store.js';
import type { BlobRecord, MetaStore } from '../store/meta/meta-store.js';
import { PACK_TARGET_BYTES, blobKey, packKey } from './blob-service.js';

/** GcRequest of the wire: `graceMs` (default one hour) keeps unlinked bytes readable that long. */
export type GcOptions = GcRequest;
export type { GcReport };

export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;
const DELETE_CONCURRENCY = 16;
const FORGET_BATCH = 64;

function keyParts(key: string): { sha: string | null; pack: string | null } {
  const m = /^(blobs|packs)\/[0-9a-f]{2}\/([0-9a-f]+)$/.exec(key);
  if (!m) return { sha: null, pack: null };
  return m[1] === 'blobs' ? { sha: m[2] ?? null, pack: null } : { sha: null, pack: m[2] ?? null };
}

/**
 * Garbage collection, in the order docs/storage-invariants.md requires: references go before
 * bytes. Index rows no committed version and no upload pin names are removed in one statement
 * that checks both; emptied packs are forgotten and half-empty ones repacked (new pack durable
 * and indexed before the old one is unlinked); unlinked object keys are retired, and their bytes
 * deleted only after a grace period and only if nothing names them again.
 */
export class GcService {
  private running: Promise<GcReport> | undefined;

  constructor(
    private readonly meta: MetaStore,
    private readonly store: BlobStore,
    /** Deletes versions whose time to live has passed; runs first, so their bytes go too. */
    private readonly expireVersions: () => Promise<number> = async () => 0,
  ) {}

  /** Runs one collection; a call while one is running in this process joins it. */
  run(options: GcOptions = {}): Promise<GcReport> {
    this.running ??= this.collect(options).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async collect(options: GcOptions): Promise<GcReport> {
    const graceMs = options.graceMs ?? DEFAULT_GC_GRACE_MS;
    const repackBelow = options.repackBelow ?? 0.5;
    // Bounded so `now - grace` stays a real date (1e308 made toISOString throw: a 500).
    if (!Number.isSafeInteger(graceMs) || graceMs < 0 || graceMs > MAX_TTL_MS) {
      throw new CairnError(
        'VALIDATION',
        `grace must be a whole number of milliseconds from 0 to ${MAX_TTL_MS} (100 years), got ${graceMs}`,
        { rule: 'gc.grace' },
      );
    }
    const started = Date.now();
    const at = new Date(started).toISOString();
    const report: GcReport = {
      versionsExpired: await this.expireVersions(),
      blobsUnlinked: 0,
      bytesUnlinked: 0,
      packsDropped: 0,
      packsRepacked: 0,
      orphansFound: 0,
      objectsDeleted: 0,
      durationMs: 0,
    };

    // 1. References: blobs nothing committed or pinned names. Only blobs older than the sweep
    //    are candidates, so one stored a moment ago for an upload about to pin it stays.
    const unlinked = await this.meta.deleteUnreferencedBlobs(at);
    report.blobsUnlinked = unlinked.length;
    report.bytesUnlinked = unlinked.reduce((n, b) => n + b.size, 0);
    await this.meta.retireObjects(
      unlinked.filter((b) => b.packId === null).map((b) => blobKey(b.sha256)),
      at,
    );

    // 2. Packs: drop the empty, repack the mostly dead.
    for (const p of await this.meta.packUsage()) {
      if (p.liveBlobs === 0) {
        await this.meta.dropPack(p.id, packKey(p.id), at);
        report.packsDropped++;
      } else if (p.size > 0 && p.liveBytes / p.size < repackBelow) {
        await this.repack(p.id, at);
        report.packsRepacked++;
      }
    }

    // 3. Orphans: objects written but never indexed (a crash between the write and the index).
    const retired = new Set(await this.meta.retiredObjects('9999'));
    const standalone: string[] = [];
    const packs: string[] = [];
    for (const prefix of ['blobs', 'packs']) {
      for await (const key of this.store.list(prefix)) {
        if (retired.has(key)) continue;
        const { sha, pack } = keyParts(key);
        if (sha !== null) standalone.push(sha);
        if (pack !== null) packs.push(pack);
      }
    }
    const indexed = await this.meta.indexedStandalone(standalone);
    // A blob an upload has pinned may be between its bytes landing and its index row (a slow
    // PUT to an object store): not an orphan while the pin lasts.
    const pinned = await this.meta.pinnedByUploads(standalone.filter((s) => !indexed.has(s)));
    const known = await this.meta.knownPacks(packs);
    const orphans = [
      ...standalone.filter((s) => !indexed.has(s) && !pinned.has(s)).map(blobKey),
      ...packs.filter((p) => !known.has(p)).map(packKey),
    ];
    await this.meta.retireObjects(orphans, at);
    report.orphansFound = orphans.length;

    // 3b. Objects clients PUT through presigned URLs but never completed: staged under their
    //     upload, which a commit never reads; once the upload is gone (aborted or expired after
    //     24 h) nothing ever will.
    if (isDirect(this.store)) {
      const stale = await this.abandonedStaged(at);
      for (const key of stale) await this.store.delete(key);
      report.orphansFound += stale.length;
      report.objectsDeleted += stale.length;
    }

    // 4. Bytes: retired long enough ago, and still named by nothing.
    const due = new Date(started - graceMs).toISOString();
    const retiredDue = (await this.meta.retiredObjects(due)).map((key) => {
      const { sha, pack } = keyParts(key);
      return { key, standaloneSha: sha, packId: pack };
    });
    // Claimed in the database first: a writer storing one of these keys again waits for the
    // claim to end rather than indexing bytes about to go (docs/storage-invariants.md, rule 10).
    const deletable = await this.meta.releaseRetired(retiredDue, at);
    // Deletes are independent and mostly wait on the store: run a few at a time.
    // Claims end a few dozen at a time, so a writer waiting on one key is not held until the
    // whole batch is gone.
    let next = 0;
    let done: string[] = [];
    const forget = async () => {
      const keys = done;
      done = [];
      if (keys.length > 0) await this.meta.forgetDeleted(keys);
    };
    await Promise.all(
      Array.from({ length: Math.min(DELETE_CONCURRENCY, deletable.length) }, async () => {
        while (next < deletable.length) {
          const key = deletable[next++] as string;
          await this.store.delete(key);
          report.objectsDeleted++;
          done.push(key);
          if (done.length >= FORGET_BATCH) await forget();
        }
      }),
    );
    await forget();
    report.durationMs = Date.now() - started;
    return report;
  }

  private async abandonedStaged(at: string): Promise<string[]> {
    const byUpload = new Map<string, string[]>();
    for await (const key of this.store.list('incoming')) {
      const uploadId = key.split('/')[1] ?? '';
      const list = byUpload.get(uploadId);
      if (list) list.push(key);
      else byUpload.set(uploadId, [key]);
    }
    const stale: string[] = [];
    for (const [uploadId, keys] of byUpload) {
      const u = await this.meta.getUpload(uploadId);
      if (!u || u.expiresAt < at) stale.push(...keys);
    }
    return stale;
  }

  /** Copies the live blobs of a pack into new packs, verifying each, then switches the index. */
  private async repack(packId: string, at: string): Promise<void> {
    const live = await this.meta.blobsInPack(packId);
    let i = 0;
    while (i < live.length) {
      const newPack = newId();
      const writer = await this.store.createWriter(packKey(newPack));
      const moved: BlobRecord[] = [];
      let offset = 0;
      try {
        for (; i < live.length && offset < PACK_TARGET_BYTES; i++) {
          const b = live[i] as BlobRecord;
          const bytes = await this.store.readRange(packKey(packId), b.offset, b.size);
          const sha = createHash('sha256').update(bytes).digest('hex');
          if (sha !== b.sha256) {
            throw new CairnError(
              'INTERNAL',
              `pack ${packId} holds corrupt bytes for blob ${b.sha256}; repack stopped, nothing changed`,
            );
          }
          await writer.write(bytes);
          moved.push({ ...b, packId: newPack, offset });
          offset += b.size;
        }
      } catch (err) {
        await writer.abort();
        throw err;
      }
      const size = await writer.commit();
      // The old pack is unlinked with the batch that moves its last live blob.
      await this.meta.movePack(packId, packKey(packId), newPack, size, moved, at);
    }
  }
}
