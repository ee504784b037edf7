import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { CairnError, GatheredWrites, NotFoundError, fileChunks } from '@cairn/core';
import type { BlobStore, ByteRange, LocalUpload, ObjectWriter } from './blob-store.js';

/**
 * A large object is flushed to the disk while it is still arriving, once per this many bytes:
 * the kernel starts writeback only far later (gigabytes dirty, or after 30 s), so without it the
 * fsync of a 1 GiB commit would write the whole GiB after the last byte came in.
 */
const EARLY_SYNC_BYTES = 64 << 20;

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

class FsObjectWriter implements ObjectWriter {
  /** Chunks gathered into 1 MiB writes, one in flight while the next is hashed and gathered. */
  private readonly writes = new GatheredWrites((parts, bytes) => this.writeOut(parts, bytes));
  private size = 0;
  private unsynced = 0;
  /** The early flush in flight (at most one), awaited before the next and before the commit. */
  private syncing: Promise<void> | undefined;
  private done = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly tmpPath: string,
    private readonly finalPath: string,
  ) {}

  private async writeOut(parts: Uint8Array[], bytes: number): Promise<void> {
    await this.fh.writev(parts);
    this.unsynced += bytes;
    if (this.unsynced >= EARLY_SYNC_BYTES) {
      this.unsynced = 0;
      await this.syncing;
      // Not awaited: the disk writes what has been written so far while more arrives.
      this.syncing = this.fh.datasync();
      this.syncing.catch(() => undefined);
    }
  }

  /** Waits for whatever is still in flight, ignoring its failure (the object is being dropped). */
  private async settle(): Promise<void> {
    await this.writes.settle();
    await this.syncing?.catch(() => undefined);
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.size += chunk.byteLength;
    await this.writes.push(chunk);
  }

  async writeAll(chunks: readonly Uint8Array[]): Promise<void> {
    for (const c of chunks) this.size += c.byteLength;
    await this.writes.pushAll(chunks);
  }

  async commit(): Promise<number> {
    if (this.done) throw new Error('object writer already finished');
    this.done = true;
    try {
      await this.writes.drain();
      await this.syncing;
      await this.fh.sync();
      await this.fh.close();
      await linkIntoPlace(this.tmpPath, this.finalPath);
      return this.size;
    } catch (err) {
      await this.settle();
      await this.fh.close().catch(() => undefined);
      await unlink(this.tmpPath).catch(() => undefined);
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.settle();
    await this.fh.close().catch(() => undefined);
    await unlink(this.tmpPath).catch(() => undefined);
  }
}

/** Where a file goes once it is durable: hard link into place, fsync of its directory. */
async function linkIntoPlace(tmpPath: string, finalPath: string): Promise<void> {
  await mkdir(dirname(finalPath), { recursive: true });
  // link() never replaces an existing file, so a committed object is never touched again; an
  // existing one under the same key already holds these bytes (content address or fresh id).
  await link(tmpPath, finalPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  await fsyncDir(dirname(finalPath));
  await unlink(tmpPath);
}

const LOCAL_READ_BYTES = 1 << 20;

/**
 * A file under `<root>/tmp` that a client on this machine copies a file into. It is read back
 * through the caller's hashes while the disk already writes it: the copy leaves its pages
 * dirty, and an fdatasync runs beside the hashing (another once 64 MiB more were read), not
 * after it. Read with `more`, it is followed while the client still copies into it.
 */
class FsLocalUpload implements LocalUpload {
  private fh: FileHandle | undefined;
  private syncing: Promise<void> | undefined;
  private done = false;

  constructor(
    readonly path: string,
    private readonly finalPathOf: (key: string) => string,
  ) {}

  async *bytes(more?: () => Promise<boolean>): AsyncIterable<Uint8Array> {
    const fh = await this.opened(more);
    this.fh = fh;
    let read = 0;
    let synced = -EARLY_SYNC_BYTES;
    let inFlight = false;
    for await (const chunk of fileChunks(fh, LOCAL_READ_BYTES, more)) {
      read += chunk.byteLength;
      if (!inFlight && read - synced >= EARLY_SYNC_BYTES) {
        synced = read;
        inFlight = true;
        this.syncing = fh.datasync().finally(() => (inFlight = false));
        this.syncing.catch(() => undefined);
      }
      yield chunk;
    }
  }

  /**
   * The file, once the client created it; NOT_FOUND when it never did. Followed, it is looked
   * for once more after `more` says the client is done: the copy may have made it meanwhile.
   */
  private async opened(more: (() => Promise<boolean>) | undefined): Promise<FileHandle> {
    let waitForMore = more;
    for (;;) {
      try {
        return await open(this.path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        if (!waitForMore) {
          throw new NotFoundError(`nothing was copied to ${this.path}; copy the file there first`);
        }
        if (!(await waitForMore())) waitForMore = undefined;
      }
    }
  }

  async commit(key: string, size: number): Promise<void> {
    const fh = this.fh;
    if (this.done || !fh) throw new Error('local upload committed twice, or before it was read');
    this.done = true;
    try {
      await this.syncing;
      // Whatever the early flushes did not cover (the last bytes read since the last one).
      await fh.sync();
      const now = (await fh.stat()).size;
      if (now !== size) {
        throw new CairnError(
          'DIGEST_MISMATCH',
          `${this.path} changed while it was read (${size} bytes hashed, ${now} there now); copy the file again`,
        );
      }
      await fh.close();
      await linkIntoPlace(this.path, this.finalPathOf(key)).catch(async (err: unknown) => {
        // Read and hashed through a handle opened earlier, then removed from the folder.
        const gone = (await stat(this.path).catch(() => undefined)) === undefined;
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && gone) {
          throw new NotFoundError(
            `${this.path} was removed before it could be stored; copy the file again`,
          );
        }
        throw err;
      });
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(this.path).catch(() => undefined);
      throw err;
    }
  }

  async abort(): Promise<void> {
    this.done = true;
    await this.syncing?.catch(() => undefined);
    await this.fh?.close().catch(() => undefined);
    await unlink(this.path).catch(() => undefined);
  }
}

/**
 * Objects as files under `<root>/objects`, written through `<root>/tmp`: temp name, fsync, hard
 * link into place, fsync of the directory, unlink of the temp name. A crash leaves at most temp
 * files, which `open` sweeps.
 */
export class FsBlobStore implements BlobStore {
  private constructor(
    private readonly objects: string,
    private readonly tmp: string,
  ) {}

  static async open(root: string): Promise<FsBlobStore> {
    const objects = join(root, 'objects');
    const tmp = join(root, 'tmp');
    await mkdir(objects, { recursive: true });
    // Whatever is in tmp belongs to writes that never committed (a crash or a kill).
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    return new FsBlobStore(objects, tmp);
  }

  private pathOf(key: string): string {
    if (!/^[a-z0-9]+(\/[a-z0-9._-]+)+$/.test(key) || key.includes('..')) {
      throw new Error(`invalid object key ${key}`);
    }
    return join(this.objects, ...key.split('/'));
  }

  localPath(key: string): string {
    return this.pathOf(key);
  }

  localUpload(): LocalUpload {
    return new FsLocalUpload(join(this.tmp, `${randomBytes(12).toString('hex')}.local`), (key) =>
      this.pathOf(key),
    );
  }

  async put(key: string, source: AsyncIterable<Uint8Array>): Promise<number> {
    const writer = await this.createWriter(key);
    try {
      for await (const chunk of source) await writer.write(chunk);
      return await writer.commit();
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }

  async createWriter(key: string): Promise<ObjectWriter> {
    const finalPath = this.pathOf(key);
    const tmpPath = join(this.tmp, `${randomBytes(12).toString('hex')}.part`);
    const fh = await open(tmpPath, 'wx');
    return new FsObjectWriter(fh, tmpPath, finalPath);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new NotFoundError(`object ${key} is missing`);
      throw err;
    });
    return createReadStream('', {
      fd: fh,
      highWaterMark: 1 << 20,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async readRange(key: string, start: number, length: number): Promise<Uint8Array> {
    const fh = await open(this.pathOf(key), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new NotFoundError(`object ${key} is missing`);
      throw err;
    });
    try {
      const out = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(out, got, length - got, start + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got !== length) {
        throw new Error(
          `object ${key} ends before byte ${start + length} (read ${got} of ${length})`,
        );
      }
      return out;
    } finally {
      await fh.close();
    }
  }

  async head(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(key))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await unlink(this.pathOf(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async *list(prefix: string): AsyncIterable<string> {
    const base = join(this.objects, ...prefix.split('/').filter(Boolean));
    const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      },
    );
    for (const e of entries) {
      if (e.isFile()) yield relative(this.objects, join(e.parentPath, e.name)).split(sep).join('/');
    }
  }

  async close(): Promise<void> {}
}
