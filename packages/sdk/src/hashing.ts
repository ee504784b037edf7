import { createHash, hash as oneShot } from 'node:crypto';
import { open } from 'node:fs/promises';
import { OffThreadMd5, fileChunks } from '@cairn/core';

/** Both digests Cairn needs: base64 MD5 (W&B's entry digest) and hex SHA-256 (the blob address). */
export interface FileHashes {
  md5: string;
  sha256: string;
  size: number;
}

/**
 * Hashes bytes already in memory with both algorithms, one-shot: for 10^4 files of 4 KiB, making
 * two Hash objects per file cost a quarter more than the hashing.
 */
export function hashBytes(bytes: Uint8Array): FileHashes {
  return {
    md5: oneShot('md5', bytes, 'base64'),
    sha256: oneShot('sha256', bytes, 'hex'),
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
 * Reads a file through both hashes in one pass (core's `fileChunks`: two reused buffers). A
 * file of `sizeHint`
 * ≥ PARALLEL_HASH_BYTES has its MD5 computed on a worker thread meanwhile. With `md5: false`
 * only SHA-256 is computed and `md5` is the empty string (someone else will hash MD5).
 */
export async function hashFile(
  path: string,
  sizeHint = 0,
  options: { md5?: boolean } = {},
): Promise<FileHashes> {
  const withMd5 = options.md5 ?? true;
  const fh = await open(path, 'r');
  const md5 = withMd5 && sizeHint >= PARALLEL_HASH_BYTES ? new OffThreadMd5() : undefined;
  try {
    const sha = createHash('sha256');
    const inThread = md5 || !withMd5 ? undefined : createHash('md5');
    let size = 0;
    for await (const chunk of fileChunks(fh, HASH_CHUNK_BYTES)) {
      size += chunk.byteLength;
      sha.update(chunk);
      // Both consume the bytes before returning (the worker's copy is taken synchronously).
      if (md5) await md5.update(chunk);
      else inThread?.update(chunk);
    }
    return {
      md5: md5 ? await md5.digest() : inThread ? inThread.digest('base64') : '',
      sha256: sha.digest('hex'),
      size,
    };
  } finally {
    md5?.abort();
    await fh.close();
  }
}
