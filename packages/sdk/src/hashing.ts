import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { OffThreadMd5 } from './off-thread-md5.js';

/** Both digests Cairn needs: base64 MD5 (W&B's entry digest) and hex SHA-256 (the blob address). */
export interface FileHashes {
  md5: string;
  sha256: string;
  size: number;
}

/** Hashes bytes already in memory with both algorithms. */
export function hashBytes(bytes: Uint8Array): FileHashes {
  return {
    md5: createHash('md5').update(bytes).digest('base64'),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
  };
}

/** Incremental MD5 + SHA-256, fed once per chunk so a file is read only once. */
export class DualHasher {
  private readonly md5 = createHash('md5');
  private readonly sha = createHash('sha256');
  private bytes = 0;

  update(chunk: Uint8Array): void {
    this.md5.update(chunk);
    this.sha.update(chunk);
    this.bytes += chunk.length;
  }

  digest(): FileHashes {
    return { md5: this.md5.digest('base64'), sha256: this.sha.digest('hex'), size: this.bytes };
  }
}

export const HASH_CHUNK_BYTES = 1 << 20;
/** From this size on, MD5 runs on a worker thread beside SHA-256 (worth its messages). */
export const PARALLEL_HASH_BYTES = 16 << 20;

/**
 * Streams a file through both hashes in one pass, never holding more than a few chunks. A file
 * of `sizeHint` ≥ PARALLEL_HASH_BYTES has its MD5 computed on a worker thread meanwhile.
 */
export async function hashFile(path: string, sizeHint = 0): Promise<FileHashes> {
  const stream = createReadStream(path, { highWaterMark: HASH_CHUNK_BYTES });
  if (sizeHint < PARALLEL_HASH_BYTES) {
    const hasher = new DualHasher();
    for await (const chunk of stream) hasher.update(chunk as Buffer);
    return hasher.digest();
  }
  const md5 = new OffThreadMd5();
  try {
    const sha = createHash('sha256');
    let size = 0;
    for await (const chunk of stream) {
      sha.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      await md5.update(chunk as Buffer);
    }
    return { md5: await md5.digest(), sha256: sha.digest('hex'), size };
  } finally {
    md5.abort();
    stream.destroy();
  }
}
