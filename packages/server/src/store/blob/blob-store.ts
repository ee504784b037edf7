import type { Readable } from 'node:stream';

/**
 * Object storage for blob bytes, keyed by strings like `blobs/ab/<sha256>` or `packs/cd/<id>`.
 * Objects are written once and never modified: nothing is visible under a key until its bytes
 * are durable, a failed write leaves no trace, and writing a key that already exists keeps the
 * existing object (keys are content addresses or fresh ids, so the bytes would be the same).
 * The local filesystem and S3-compatible stores implement the same contract.
 */
export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

/** An object being written piece by piece (a pack filling up, a blob of unknown hash). */
export interface ObjectWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** `write` of each chunk in order, with one wait for the lot: a pack's thousand small blobs. */
  writeAll(chunks: readonly Uint8Array[]): Promise<void>;
  /** Makes the object durable and visible under its key; returns its size. */
  commit(): Promise<number>;
  /** Drops everything written so far; safe to call after a failed commit. */
  abort(): Promise<void>;
}

export interface BlobStore {
  /**
   * Writes everything `source` yields as one object, atomically. If `source` throws (a digest
   * check at its end, a dropped connection), nothing is stored and the error propagates.
   */
  put(key: string, source: AsyncIterable<Uint8Array>): Promise<number>;
  createWriter(key: string): Promise<ObjectWriter>;
  get(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * `length` bytes of an object from `start`, in memory: for reading a run of adjacent small
   * blobs of a pack in one request. Fails if the object is shorter.
   */
  readRange(key: string, start: number, length: number): Promise<Uint8Array>;
  /** Size of the object, or undefined when there is none. */
  head(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<string>;
  close(): Promise<void>;
  /**
   * The absolute path of the object as a file of this machine, for a store that keeps objects
   * as files: a client on the same machine may copy it (in the kernel) instead of receiving its
   * bytes over a socket. Absent for stores that do not.
   */
  localPath?(key: string): string;
  /**
   * A file of this machine a client on it may copy one object's bytes into (in the kernel),
   * to be read back and adopted under a key: for stores that keep objects as files.
   */
  localUpload?(): LocalUpload;
}

/** One object written by a client on the store's machine into `path` (see `localUpload`). */
export interface LocalUpload {
  readonly path: string;
  /**
   * The bytes the client wrote, in order. Each chunk is valid only until the next is asked for
   * (the memory is reused): consume it at once. With `more`, the client may still be writing
   * the file (in order from its start): a file not there yet, or ended so far, awaits `more`,
   * which resolves true to look again, false once the client is done (see core's `fileChunks`).
   */
  bytes(more?: () => Promise<boolean>): AsyncIterable<Uint8Array>;
  /**
   * Makes the bytes durable and visible under `key`, once `bytes` was read. Fails, storing
   * nothing, unless the file still holds `size` bytes (the count that was read and hashed).
   */
  commit(key: string, size: number): Promise<void>;
  /** Drops the file; safe after a failed commit, and twice. */
  abort(): Promise<void>;
}

/**
 * A store clients can reach themselves (S3): the server hands out presigned URLs, clients move
 * the bytes, and the server verifies an uploaded object before anything references it.
 */
export interface DirectBlobStore {
  /** A URL that accepts one PUT of the object's bytes for this long. */
  presignPut(key: string, expiresInSeconds: number): Promise<string>;
  /** A URL that answers GET (with an optional Range header) for this long. */
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
  /** Copies an object inside the store, without its bytes passing through the server. */
  copy(from: string, to: string): Promise<void>;
}

export function isDirect(store: BlobStore): store is BlobStore & DirectBlobStore {
  const s = store as Partial<DirectBlobStore>;
  return (
    typeof s.presignPut === 'function' &&
    typeof s.presignGet === 'function' &&
    typeof s.copy === 'function'
  );
}
