import { createHash, type Hash } from 'node:crypto';
import { OffThreadMd5 } from '@cairn/core';

export interface Digests {
  sha256: string;
  md5: string;
  size: number;
}

/** SHA-256 (hex, the blob address) and MD5 (base64, W&B's entry digest) in one pass. */
export class DualHash {
  private readonly sha = createHash('sha256');
  private readonly md5: Hash = createHash('md5');
  private result: Digests | undefined;
  size = 0;

  update(chunk: Uint8Array): void {
    this.sha.update(chunk);
    this.md5.update(chunk);
    this.size += chunk.byteLength;
  }

  /** The digests of everything passed to `update`; the same answer on every call. */
  digest(): Digests {
    this.result ??= {
      sha256: this.sha.digest('hex'),
      md5: this.md5.digest('base64'),
      size: this.size,
    };
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
