import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { CairnError, NotFoundError } from '@cairn/core';
import type { BlobStore, ByteRange, DirectBlobStore, ObjectWriter } from './blob-store.js';
import type { S3Location } from './s3-location.js';

/** Bytes gathered before a multipart part goes out; S3 wants at least 5 MiB but the last. */
export const S3_PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;
/** Multipart uploads older than this belong to a dead process (a live one finishes far sooner). */
const STALE_MULTIPART_MS = 24 * 60 * 60 * 1000;

interface S3ErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function isNotFound(err: unknown): boolean {
  const e = err as S3ErrorShape;
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

function isNotImplemented(err: unknown): boolean {
  const e = err as S3ErrorShape;
  return e.name === 'NotImplemented' || e.$metadata?.httpStatusCode === 501;
}

/** Which requests went to the object store, by S3 operation; for benchmarks and tests. */
export type RequestCounts = Record<string, number>;

class S3ObjectWriter implements ObjectWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private size = 0;
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];
  private inFlight: Promise<void>[] = [];
  private failure: unknown;
  private done = false;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
  ) {}

  private take(): Buffer {
    const body = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return body;
  }

  private async sendPart(): Promise<void> {
    if (this.uploadId === undefined) {
      const created = await this.s3.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key }),
      );
      this.uploadId = created.UploadId;
    }
    const partNumber = this.parts.length + this.inFlight.length + 1;
    const body = this.take();
    const uploadId = this.uploadId;
    const sending = this.s3
      .send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ContentLength: body.byteLength,
        }),
      )
      .then((r) => {
        this.parts.push({ ETag: r.ETag, PartNumber: partNumber });
      })
      .catch((err: unknown) => {
        this.failure ??= err;
      });
    this.inFlight.push(sending);
    if (this.inFlight.length >= PARTS_IN_FLIGHT) {
      await this.inFlight.shift();
    }
    if (this.failure !== undefined) throw this.failure;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    this.size += chunk.byteLength;
    if (this.pendingBytes >= S3_PART_BYTES) await this.sendPart();
  }
  async writeAll(chunks: readonly Uint8Array[]): Promise<void> {
    for (const c of chunks) await this.write(c);
  }

  async commit(): Promise<number> {
    if (this.done) throw new Error('object writer already finished');
    this.done = true;
    try {
      if (this.uploadId === undefined) {
        // Small enough for one request: nothing exists under the key until PutObject answers.
        const body = this.take();
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.key,
            Body: body,
            ContentLength: body.byteLength,
          }),
        );
        return this.size;
      }
      if (this.pendingBytes > 0) await this.sendPart();
      await Promise.all(this.inFlight);
      if (this.failure !== undefined) throw this.failure;
      this.parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      // The object appears, whole, only when the upload completes.
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          MultipartUpload: { Parts: this.parts },
        }),
      );
      return this.size;
    } catch (err) {
      await this.dropUpload();
      throw err;
    }
  }

  private async dropUpload(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    await Promise.all(this.inFlight);
    if (this.uploadId === undefined) return;
    // Parts of an unfinished upload are invisible; aborting frees their storage. Stores that
    // cannot abort keep them until a lifecycle rule (or the startup sweep) removes them.
    await this.s3
      .send(
        new AbortMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: this.uploadId,
        }),
      )
      .catch(() => undefined);
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.dropUpload();
  }
}

/**
 * Objects in an S3-compatible bucket under a key prefix. A single PutObject or a completed
 * multipart upload is atomic, so nothing is visible under a key before all its bytes are stored,
 * and a failed write leaves no object. Keys are content addresses or fresh ids, so writing one
 * again (S3 replaces) stores the same bytes.
 */
export class S3BlobStore implements BlobStore, DirectBlobStore {
  private readonly counts: RequestCounts = {};

  private constructor(
    private readonly s3: S3Client,
    /** Signs the URLs clients use; its endpoint may differ from the server's own. */
    private readonly signer: S3Client,
    private readonly bucket: string,
    private readonly root: string,
  ) {
    // In the deserialize step, which only requests actually sent reach (each retry too, not
    // the presigning of a URL).
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
        this.counts[name] = (this.counts[name] ?? 0) + 1;
        return next(args);
      },
      { step: 'deserialize', name: 'cairnRequestCount' },
    );
  }

  static async open(loc: S3Location): Promise<S3BlobStore> {
    const client = (endpoint: string | undefined): S3Client =>
      new S3Client({
        ...(loc.region ? { region: loc.region } : {}),
        ...(endpoint ? { endpoint } : {}),
        forcePathStyle: loc.forcePathStyle,
        // Cairn hashes every byte itself; the SDK's default CRC trailers (aws-chunked bodies)
        // are not understood by every S3-compatible server.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
    const s3 = client(loc.endpoint);
    const signer =
      loc.publicEndpoint && loc.publicEndpoint !== loc.endpoint ? client(loc.publicEndpoint) : s3;
    const store = new S3BlobStore(s3, signer, loc.bucket, loc.prefix ? `${loc.prefix}/` : '');
    try {
      await s3.send(new HeadBucketCommand({ Bucket: loc.bucket }));
    } catch (err) {
      s3.destroy();
      signer.destroy();
      const e = err as S3ErrorShape & { message?: string };
      throw new CairnError(
        'UNAVAILABLE',
        `cannot use bucket ${loc.bucket}${loc.endpoint ? ` at ${loc.endpoint}` : ''} for blobs (${e.name ?? e.Code ?? 'error'}${e.message && e.message !== e.name ? `: ${e.message}` : ''}${e.$metadata?.httpStatusCode ? `, HTTP ${e.$metadata.httpStatusCode}` : ''}); check --blobs, --s3-endpoint, --s3-region and the AWS credentials`,
        { bucket: loc.bucket },
      );
    }
    await store.sweepStaleUploads();
    return store;
  }

  /** Requests sent so far, by operation (GetObject, PutObject, UploadPart, …). */
  requestCounts(): RequestCounts {
    return { ...this.counts };
  }

  private keyOf(key: string): string {
    if (!/^[a-z0-9]+(\/[a-z0-9._-]+)+$/.test(key) || key.includes('..')) {
      throw new Error(`invalid object key ${key}`);
    }
    return this.root + key;
  }

  /**
   * The counterpart of the filesystem store's temp-dir sweep: multipart uploads that a killed
   * process never finished are invisible but hold storage. Only old ones go, since other servers
   * sharing the bucket may be uploading right now. Stores without the listing skip it.
   */
  async sweepStaleUploads(now = Date.now()): Promise<number> {
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.s3.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.root,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const u of page.Uploads ?? []) {
          if (!u.Key || !u.UploadId || !u.Initiated) continue;
          if (now - u.Initiated.getTime() < STALE_MULTIPART_MS) continue;
          await this.s3
            .send(
              new AbortMultipartUploadCommand({
                Bucket: this.bucket,
                Key: u.Key,
                UploadId: u.UploadId,
              }),
            )
            .catch(() => undefined);
          aborted++;
        }
        if (!page.IsTruncated) break;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
    } catch (err) {
      if (!isNotImplemented(err)) throw err;
    }
    return aborted;
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
    return new S3ObjectWriter(this.s3, this.bucket, this.keyOf(key));
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const res = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return res.Body instanceof Readable ? res.Body : Readable.from([]);
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`object ${key} is missing`);
      throw err;
    }
  }

  async readRange(key: string, start: number, length: number): Promise<Uint8Array> {
    if (length === 0) return new Uint8Array(0);
    const parts: Uint8Array[] = [];
    let got = 0;
    for await (const chunk of await this.get(key, { start, end: start + length - 1 })) {
      parts.push(chunk as Uint8Array);
      got += (chunk as Uint8Array).byteLength;
    }
    if (got !== length) {
      throw new Error(
        `object ${key} ends before byte ${start + length} (read ${got} of ${length})`,
      );
    }
    return parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts, got);
  }

  async head(key: string): Promise<number | undefined> {
    try {
      const res = await this.s3.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }),
      );
      return res.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const p = prefix.split('/').filter(Boolean).join('/');
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${this.root}${p}${p ? '/' : ''}`,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key?.startsWith(this.root)) yield o.Key.slice(this.root.length);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async presignPut(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(
      this.signer,
      new PutObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }),
      { expiresIn: expiresInSeconds },
    );
  }

  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(
      this.signer,
      new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }),
      { expiresIn: expiresInSeconds },
    );
  }

  async copy(from: string, to: string): Promise<void> {
    try {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(to),
          CopySource: `${this.bucket}/${encodeURI(this.keyOf(from))}`,
        }),
      );
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`object ${from} is missing`);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.s3.destroy();
    if (this.signer !== this.s3) this.signer.destroy();
  }
}
