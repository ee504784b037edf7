import type { Readable } from 'node:stream';

/**
 * Object storage for blob bytes, keyed by strings like `blobs/ab/<sha256>` or `packs/<id>`.
 * Objects are written once through an `ObjectWriter` and never modified: nothing is visible
 * under the key until `commit()` has made the bytes durable, and `abort()` leaves no trace.
 * Local filesystem and S3-compatible stores implement the same contract.
 */
export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface ObjectWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the object durable and visible under its key; returns its size. */
  commit(): Promise<number>;
  abort(): Promise<void>;
}

export interface BlobStore {
  createWriter(key: string): Promise<ObjectWriter>;
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size of the object, or undefined when there is none. */
  head(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<string>;
  close(): Promise<void>;
}
