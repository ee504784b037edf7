import { createHash, hash, type Hash } from 'node:crypto';
import { OffThreadMd5 } from '@cairn/core';

export interface Digests {
  sha256: string;
  md5: string;
  size: number;
}

/**
 * SHA-256 (hex, the blob address) and MD5 (base64, W&B's entry digest) in one pass. A blob that
 * arrives in one chunk (most small frames of a pack) is hashed one-shot when its digest is
 * asked: two Hash objects per 4 KiB blob cost a quarter more than the hashing. That chunk is
 * held, not copied, until the next `update` or the digest: it must not change meanwhile.
 */
export class DualHash {
  private only: Uint8Array | undefined;
  private streams: { sha: Hash; md5: Hash } | undefined;
  private result: Digests | undefined;
  size = 0;

  update(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    if (this.streams === undefined && this.only === undefined) {
      this.only = chunk;
      return;
    }
    if (this.streams === undefined) {
      this.streams = { sha: createHash('sha256'), md5: createHash('md5') };
      this.feed(this.only as Uint8Array);
      this.only = undefined;
    }
    this.feed(chunk);
  }

  private feed(chunk: Uint8Array): void {
    this.streams?.sha.update(chunk);
    this.streams?.md5.update(chunk);
  }

  /** The digests of everything passed to `update`; the same answer on every call. */
  digest(): Digests {
    if (this.result) return this.result;
    if (this.streams) {
      this.result = {
        sha256: this.streams.sha.digest('hex'),
        md5: this.streams.md5.digest('base64'),
        size: this.size,
      };
    } else {
      const bytes = this.only ?? new Uint8Array(0);
      this.only = undefined;
      this.result = {
        sha256: hash('sha256', bytes, 'hex'),
        md5: hash('md5', bytes, 'base64'),
        size: this.size,
      };
    }
    return this.result;
  }
}

/**
 * The same two digests for one large stream, MD5 on a worker thread beside the SHA-256 here:
 * a 1 GiB upload is verified in about the time of its MD5 alone instead of both in a row.
 */
export class OffThreadDualHash {
  private readonly sha = createHash('sha256');
  private readonly md5 = new OffThreadMd5();
  private result: Digests | undefined;
  size = 0;

  async update(chunk: Uint8Array): Promise<void> {
    this.sha.update(chunk);
    this.size += chunk.byteLength;
    await this.md5.update(chunk);
  }

  async digest(): Promise<Digests> {
    this.result ??= {
      sha256: this.sha.digest('hex'),
      md5: await this.md5.digest(),
      size: this.size,
    };
    return this.result;
  }

  /** Releases the worker's state for a stream that will not be finished. */
  abort(): void {
    this.md5.abort();
  }
}
