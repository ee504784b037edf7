import { CairnError, NotFoundError, newId, type BlobInfo } from '@cairn/core';
import type { BlobStore, LocalUpload } from '../store/blob/blob-store.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import { info, packKey } from './blob-service.js';
import { OffThreadDualHash } from './hashing.js';

/** A local upload not finished within this long is dropped (its file removed). */
const LOCAL_UPLOAD_TTL_MS = 60 * 60 * 1000;

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
 * Only the server's own user (or root) can create files in that folder, and such a user can
 * write the data directory anyway: offering it trusts no one more than the filesystem does. The
 * route offers it to loopback peers only. Open uploads live in this process; one finished on
 * another server of a fleet is NOT_FOUND there, and the client sends the bytes instead.
 */
export class LocalUploads {
  private readonly open = new Map<string, { upload: LocalUpload; startedMs: number }>();

  constructor(
    private readonly meta: MetaStore,
    private readonly store: BlobStore,
  ) {}

  async start(): Promise<LocalUploadTicket> {
    if (!this.store.localUpload) {
      throw new CairnError(
        'FORBIDDEN',
        'this server keeps blobs in an object store, not a local folder: send the bytes to POST /blobs',
      );
    }
    await this.dropStale();
    const upload = this.store.localUpload();
    const id = newId();
    this.open.set(id, { upload, startedMs: Date.now() });
    return { id, path: upload.path };
  }

  async finish(id: string): Promise<BlobInfo> {
    const held = this.take(id);
    const hash = new OffThreadDualHash();
    try {
      for await (const chunk of held.bytes()) await hash.update(chunk);
      const d = await hash.digest();
      const existing = await this.meta.getBlob(d.sha256);
      if (existing) {
        await held.abort();
        return info(existing);
      }
      const packId = newId();
      await held.commit(packKey(packId), d.size);
      const row = { ...d, packId, offset: 0 };
      await this.meta.insertBlobs([row], packId, d.size);
      return info((await this.meta.getBlob(d.sha256)) ?? row);
    } catch (err) {
      hash.abort();
      await held.abort();
      throw err;
    }
  }

  async abort(id: string): Promise<void> {
    await this.take(id).abort();
  }

  private take(id: string): LocalUpload {
    const held = this.open.get(id);
    if (!held) {
      throw new NotFoundError(
        `local upload ${id} does not exist (finished, aborted or expired); start another`,
        { uploadId: id },
      );
    }
    this.open.delete(id);
    return held.upload;
  }

  private async dropStale(): Promise<void> {
    const before = Date.now() - LOCAL_UPLOAD_TTL_MS;
    for (const [id, held] of this.open) {
      if (held.startedMs >= before) continue;
      this.open.delete(id);
      await held.upload.abort();
    }
  }
}
