import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { BlobInfo } from '@cairn/core';
import type { LocalFileItem } from './draft-items.js';
import type { FileHashes } from './hashing.js';
import type { HttpClient } from './http.js';
import { LocalUploader, isLoopbackUrl } from './local-upload.js';
import { changedWhileLogged } from './prepare.js';

/**
 * Hashes a large file by sending it: to a server on this machine, bytes cost no network, so a
 * large file the stat cache does not know is streamed to `POST /blobs` as it is read, instead of
 * being read once to hash it and again to upload it. The server hashes both while storing them
 * and answers its SHA-256 and MD5. A server that already had the bytes keeps its copy and drops
 * this one, so the only cost of a file it knew is its hashing, done on the server instead of here.
 *
 * To a server elsewhere (CAIRN_STREAM_LARGE=1) the client also hashes SHA-256 of exactly the
 * bytes it sends, and the server's answer must agree: bytes that crossed a network (and its
 * proxies) are checked at both ends. Over loopback nothing lies between the two, and on two
 * cores that second SHA-256 of every byte competed with the server's hashing for the CPU. That
 * the file did not change while it was read is checked by its stat before and after, either way.
 * A server on this machine with its store in a local folder is not even sent the bytes: the
 * file is copied into one the server names (`LocalUploader`).
 */
export class StreamedLarge {
  readonly stats = { bytesSent: 0, largeBlobs: 0 };
  private readonly verify: boolean;
  /** Large files copied into the server's folder instead, while that is on offer. */
  private readonly local: LocalUploader;

  constructor(
    private readonly http: HttpClient,
    options: { verify?: boolean } = {},
  ) {
    this.verify = options.verify ?? !isLoopbackUrl(http.baseUrl);
    this.local = new LocalUploader(http);
  }

  readonly hash = async (
    item: LocalFileItem,
    onBytes: (n: number) => void = () => undefined,
  ): Promise<FileHashes> => {
    const copied = this.verify ? undefined : await this.local.copy(item.localPath);
    if (copied) {
      onBytes(copied.size);
      this.stats.bytesSent += copied.size;
      this.stats.largeBlobs++;
      return { sha256: copied.sha256, md5: copied.md5, size: copied.size };
    }
    const sha = this.verify ? createHash('sha256') : undefined;
    let size = 0;
    const file = createReadStream(item.localPath, { highWaterMark: 1 << 20 });
    async function* body(): AsyncGenerator<Buffer> {
      for await (const chunk of file as AsyncIterable<Buffer>) {
        sha?.update(chunk);
        size += chunk.length;
        onBytes(chunk.length);
        yield chunk;
      }
    }
    let info: BlobInfo;
    try {
      info = await this.http.sendStream<BlobInfo>(
        'POST',
        '/blobs',
        Readable.from(body(), { objectMode: false }),
      );
    } finally {
      file.destroy();
    }
    if (info.size !== size || (sha && info.sha256 !== sha.digest('hex'))) {
      throw changedWhileLogged(item.localPath, 'the server received other bytes than were read');
    }
    this.stats.bytesSent += size;
    this.stats.largeBlobs++;
    return { sha256: info.sha256, md5: info.md5, size };
  };
}

/**
 * Whether large files go to this server while they are read: by default when it is on this
 * machine; CAIRN_STREAM_LARGE=1 always (a fast network), 0 never (hash first, send only what the
 * server lacks).
 */
export function streamsLarge(serverUrl: string): boolean {
  const mode = process.env['CAIRN_STREAM_LARGE'];
  if (mode === '1') return true;
  if (mode === '0') return false;
  return isLoopbackUrl(serverUrl);
}
