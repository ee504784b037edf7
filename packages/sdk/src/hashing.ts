import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

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

/** Streams a file through both hashes in one pass, never holding more than one chunk. */
export async function hashFile(path: string): Promise<FileHashes> {
  const hasher = new DualHasher();
  for await (const chunk of createReadStream(path, { highWaterMark: HASH_CHUNK_BYTES })) {
    hasher.update(chunk as Buffer);
  }
  return hasher.digest();
}
