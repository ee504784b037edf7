import type { UploadSession, UploadStart } from '@cairn/core';
import type { HttpClient } from './http.js';
import type { PreparedFile } from './prepare.js';
import { ProgressReporter } from './progress.js';
import { sendBlobs } from './upload.js';
import type { UploadStats, UploadTarget } from './upload.js';

/** A batch of freshly hashed small files is sent early once it holds this many files or bytes. */
export const EARLY_BATCH_FILES = 2000;
export const EARLY_BATCH_BYTES = 8 * 1024 * 1024;
/** The first batch's file count; each next one doubles it, up to EARLY_BATCH_FILES. */
export const EARLY_FIRST_BATCH_FILES = 250;

/**
 * Files in the early batch numbered `k` (from 0). Small first batches start the server's work
 * sooner (it sits idle until the first one arrives); larger later ones keep the per-batch cost
 * of a session and a pack request low.
 */
export function earlyBatchFiles(k: number): number {
  return Math.min(EARLY_BATCH_FILES, EARLY_FIRST_BATCH_FILES * 2 ** Math.min(k, 16));
}

/**
 * Sends the bytes of small files while the rest of a draft is still being hashed, so the
 * server's work (verifying, writing and fsyncing packs) overlaps the client's instead of
 * following it. Each batch opens its own upload session, which pins its blobs before saying
 * which the server lacks (the negotiation's usual guarantee against a concurrent garbage
 * collection), then sends only those in one pack. The commit's session then names only the
 * blobs no batch covered; the batches' sessions are abandoned (DELETE, releasing their pins)
 * once the commit holds the blobs, or when the log fails.
 *
 * Only full batches go early: a small draft, or the tail of a large one, goes through the
 * commit's session as before.
 */
export class EarlyUploads {
  /** SHA-256s pinned by a batch's session (sent, or already stored). */
  readonly covered = new Set<string>();
  readonly stats: UploadStats = { missing: 0, bytesSent: 0, packs: 0, largeBlobs: 0 };
  private readonly sessions: string[] = [];
  /**
   * Two lanes: while the server fsyncs one batch's pack (in its threadpool), it can already
   * parse and verify the next.
   */
  private readonly lanes: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  private queued = 0;
  private error: unknown;
  private released = false;

  constructor(
    private readonly http: HttpClient,
    private readonly target: UploadTarget,
  ) {}

  private batch: PreparedFile[] = [];
  private batchBytes = 0;

  /** Takes one freshly hashed small file; a full batch is queued to be sent. */
  offer(f: PreparedFile): void {
    this.batch.push(f);
    this.batchBytes += f.hashes.size;
    if (this.batch.length >= earlyBatchFiles(this.queued) || this.batchBytes >= EARLY_BATCH_BYTES) {
      this.add(this.batch);
      this.batch = [];
      this.batchBytes = 0;
    }
  }

  /** Queues a batch on the next lane. Errors surface in `settle()`. */
  private add(batch: readonly PreparedFile[]): void {
    const lane = this.queued++ % this.lanes.length;
    this.lanes[lane] = (this.lanes[lane] as Promise<void>)
      .then(() => (this.error === undefined ? this.send(batch) : undefined))
      .catch((err: unknown) => {
        this.error ??= err;
      });
  }

  private async idle(): Promise<void> {
    await Promise.all(this.lanes);
  }

  private async send(batch: readonly PreparedFile[]): Promise<void> {
    const bySha = new Map<string, PreparedFile>();
    for (const f of batch) bySha.set(f.hashes.sha256, f);
    const start: UploadStart = { ...this.target, sha256: [...bySha.keys()] };
    const session = await this.http.json<UploadSession>('POST', '/uploads', { json: start });
    this.sessions.push(session.uploadId);
    const missing = session.missing.flatMap((sha) => {
      const f = bySha.get(sha);
      return f ? [f] : [];
    });
    const bytes = missing.reduce((n, f) => n + f.hashes.size, 0);
    // No progress of its own: the hashing phase is what a user sees meanwhile.
    const sent = await sendBlobs(
      this.http,
      session.uploadId,
      missing,
      [],
      new ProgressReporter(undefined, 'uploading', 0, 0),
    );
    for (const sha of bySha.keys()) this.covered.add(sha);
    this.stats.missing += missing.length;
    this.stats.bytesSent += bytes;
    this.stats.packs += sent.packs;
  }

  /** Waits for every queued batch; rethrows the first failure. */
  async settle(): Promise<void> {
    await this.idle();
    if (this.error !== undefined) throw this.error;
  }

  /** The batches' sessions, for the commit to abandon (`releaseUploads`) once it holds them. */
  get sessionIds(): readonly string[] {
    return this.sessions;
  }

  /** The commit abandoned the sessions itself: `release()` has nothing left to do. */
  releasedByCommit(): void {
    this.released = true;
  }

  /** Abandons the batches' sessions (their pins go); never throws. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.idle();
    await Promise.all(
      this.sessions.map((id) =>
        this.http.json('DELETE', `/uploads/${encodeURIComponent(id)}`).catch(() => undefined),
      ),
    );
  }
}
