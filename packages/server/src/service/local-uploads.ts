import { CairnError, NotFoundError, newId, type BlobInfo } from '@cairn/core';
import type { BlobStore, LocalUpload } from '../store/blob/blob-store.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import { info, packKey } from './blob-service.js';
import { OffThreadDualHash, type Digests } from './hashing.js';

/** A local upload not finished within this long is dropped (its file removed). */
const LOCAL_UPLOAD_TTL_MS = 60 * 60 * 1000;
/**
 * A followed copy that has not grown for this long is no longer polled: what is left is read
 * when the client finishes (or the upload is dropped).
 */
const FOLLOW_IDLE_MS = 10_000;
/** The longest pause between two looks at a followed copy that has not grown. */
const FOLLOW_POLL_MAX_MS = 16;

/** Where a client on the server's machine copies one file (`POST /blobs/local-uploads`). */
export interface LocalUploadTicket {
  id: string;
  path: string;
}

/**
 * Large blobs from a client on this machine, by file instead of by socket: the server names a
 * file in its store's temp folder, the client copies its file there in the kernel, and the
 * server reads it back once through SHA-256 and MD5 (as it does the bytes of `POST /blobs`)
 * while the disk already writes it, then stores it as a pack of one. The client never
 * declares a hash: what is stored is what the server hashed.
 *
 * A client that copies in order from the start (as `copy_file_range` does) may ask for its copy
 * to be followed: the server then hashes the file while it grows, so the hashing (MD5's 1.4 s
 * per GiB is the longest step of a large log) starts with the copy instead of after it. It
 * still adopts the file only once the client says its copy is complete (`finish`), having read
 * it to its end then: a copy still writing could otherwise change a stored object.
 *
 * Only the server's own user (or root) can create files in that folder, and such a user can
 * write the data directory anyway: offering it trusts no one more than the filesystem does. The
 * route offers it to loopback peers only. Open uploads live in this process; one finished on
 * another server of a fleet is NOT_FOUND there, and the client sends the bytes instead.
 */
export class LocalUploads {
  private readonly open = new Map<string, OpenUpload>();

  constructor(
    private readonly meta: MetaStore,
    private readonly store: BlobStore,
  ) {}

  async start(options: { follow?: boolean } = {}): Promise<LocalUploadTicket> {
    if (!this.store.localUpload) {
      throw new CairnError(
        'FORBIDDEN',
        'this server keeps blobs in an object store, not a local folder: send the bytes to POST /blobs',
      );
    }
    await this.dropStale();
    const upload = new OpenUpload(this.store.localUpload(), options.follow ?? false);
    const id = newId();
    this.open.set(id, upload);
    return { id, path: upload.upload.path };
  }

  async finish(id: string): Promise<BlobInfo> {
    const held = this.take(id);
    try {
      const d = await held.digests();
      const existing = await this.meta.getBlob(d.sha256);
      if (existing) {
        await held.abort();
        return info(existing);
      }
      const packId = newId();
      await held.upload.commit(packKey(packId), d.size);
      const row = { ...d, packId, offset: 0 };
      await this.meta.insertBlobs([row], packId, d.size);
      return info((await this.meta.getBlob(d.sha256)) ?? row);
    } catch (err) {
      await held.abort();
      throw err;
    }
  }

  async abort(id: string): Promise<void> {
    await this.take(id).abort();
  }

  private take(id: string): OpenUpload {
    const held = this.open.get(id);
    if (!held) {
      throw new NotFoundError(
        `local upload ${id} does not exist (finished, aborted or expired); start another`,
        { uploadId: id },
      );
    }
    this.open.delete(id);
    return held;
  }

  private async dropStale(): Promise<void> {
    const before = Date.now() - LOCAL_UPLOAD_TTL_MS;
    for (const [id, held] of this.open) {
      if (held.startedMs >= before) continue;
      this.open.delete(id);
      await held.abort();
    }
  }
}

/** One open local upload and its hashing, which a followed one starts before `finish`. */
class OpenUpload {
  readonly startedMs = Date.now();
  private readonly hash = new OffThreadDualHash();
  private reading: Promise<void> | undefined;
  /** The client's copy is complete (finish), or the upload is dropped: no more waiting. */
  private settled = false;
  private aborted = false;
  private wake: (() => void) | undefined;
  private seen = 0;
  private idleSince = Date.now();
  private pause = 1;

  constructor(
    readonly upload: LocalUpload,
    follow: boolean,
  ) {
    if (follow) {
      this.reading = this.read(this.more);
      // Its failure is finish's to report (or nobody's, once dropped).
      this.reading.catch(() => undefined);
    }
  }

  private async read(more?: () => Promise<boolean>): Promise<void> {
    for await (const chunk of this.upload.bytes(more)) await this.hash.update(chunk);
  }

  /**
   * At the end of the copy so far: waits a moment (longer while it does not grow, and only for
   * finish once it has not grown for FOLLOW_IDLE_MS), then says whether it may have grown.
   */
  private readonly more = async (): Promise<boolean> => {
    const now = Date.now();
    if (this.hash.size !== this.seen) {
      this.seen = this.hash.size;
      this.idleSince = now;
      this.pause = 1;
    }
    if (!this.settled) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (now - this.idleSince < FOLLOW_IDLE_MS) setTimeout(resolve, this.pause);
      });
      this.wake = undefined;
      this.pause = Math.min(this.pause * 2, FOLLOW_POLL_MAX_MS);
    }
    if (this.aborted) throw new Error('local upload dropped while it was followed');
    return !this.settled;
  };

  /** The digests of the whole file, read to its end now that the client's copy is complete. */
  async digests(): Promise<Digests> {
    this.settled = true;
    this.wake?.();
    await (this.reading ??= this.read());
    return this.hash.digest();
  }

  /** Stops the reading (a followed one ends at its next look), then drops the file. */
  async abort(): Promise<void> {
    this.aborted = true;
    this.settled = true;
    this.wake?.();
    await this.reading?.catch(() => undefined);
    this.hash.abort();
    await this.upload.abort();
  }
}
