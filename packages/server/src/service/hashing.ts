import { createHash, type Hash } from 'node:crypto';

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
