import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { CairnError, FRAME_HEADER_BYTES } from '@cairn/core';
import { ConnectionFailed, streamRequest, type StreamAnswer } from './stream-request.js';
import type {
  BlobInfo,
  BlobLocation,
  BlobLocations,
  DirectTransferInfo,
  DirectUploadTargets,
} from '@cairn/core';
import { drainToSink } from './fetch-blobs.js';
import type { PutBytes, SinkFor, WantedBlob } from './fetch-blobs.js';
import type { HttpClient } from './http.js';
import { runPool } from './pool.js';
import { changedWhileLogged } from './prepare.js';
import type { PreparedFile } from './prepare.js';
import { countedFile, type ProgressReporter } from './progress.js';

/**
 * Bytes straight between this client and the server's object store (wire.ts, "Direct
 * transfer"): the server hands out presigned URLs and verifies what was uploaded; it never
 * carries the bytes. Used only when the server says so (GET /direct) and CAIRN_DIRECT_TRANSFER
 * is not 0.
 */

const PACK_CONCURRENCY = 2;
const LARGE_CONCURRENCY = 3;
const RUN_CONCURRENCY = 4;
/** Blobs below this size are fetched many per ranged GET; larger ones streamed alone. */
const SMALL_BLOB_BYTES = 1 << 20;
/** Adjacent blobs of one object share a ranged GET up to this size, across gaps up to RUN_GAP. */
const RUN_MAX_BYTES = 16 * 1024 * 1024;
const RUN_GAP = 64 * 1024;
const LOCATE_BATCH = 5000;

const known = new WeakMap<HttpClient, Promise<DirectTransferInfo | undefined>>();

/** The server's direct-transfer offer, asked once per client; undefined means "go through it". */
export function directTransfer(http: HttpClient): Promise<DirectTransferInfo | undefined> {
  if (process.env['CAIRN_DIRECT_TRANSFER'] === '0') return Promise.resolve(undefined);
  let offer = known.get(http);
  if (!offer) {
    offer = http.json<DirectTransferInfo>('GET', '/direct').then(
      (i) => (i.enabled === true ? i : undefined),
      // A server from before direct transfers (404) moves bytes itself.
      () => {
        known.delete(http);
        return undefined;
      },
    );
    known.set(http, offer);
  }
  return offer;
}

function storeError(status: number, text: string, what: string): CairnError {
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
  return new CairnError(
    'UNAVAILABLE',
    `the object store refused ${what} (HTTP ${status}${code ? `, ${code}` : ''}); check that clients can reach the bucket and that presigned URLs have not expired`,
    { status },
  );
}

/** PUTs a stream of exactly `size` bytes to a presigned URL (S3 wants a Content-Length). */
async function putObject(url: string, body: Readable, size: number, what: string): Promise<void> {
  let answer: StreamAnswer;
  try {
    answer = await streamRequest(url, 'PUT', { 'content-length': String(size) }, body);
  } catch (err) {
    if (!(err instanceof ConnectionFailed)) throw err;
    throw new CairnError(
      'UNAVAILABLE',
      `cannot reach the object store for ${what} (${err.reason})`,
    );
  }
  if (answer.status < 200 || answer.status >= 300)
    throw storeError(answer.status, answer.text, what);
}

export interface DirectUploadHooks {
  /** The framed body of a pack, as POST /packs takes it (it counts its own progress). */
  packBody(pack: readonly PreparedFile[]): Readable;
  /** Sends a blob too large for one object-store PUT through the server instead. */
  viaServer(f: PreparedFile): Promise<void>;
}

/**
 * Sends what the server lacks straight to the bucket: each pack and each large blob gets a
 * presigned URL, one PUT, and a `complete` that has the server verify and index it.
 */
export async function uploadDirect(
  http: HttpClient,
  offer: DirectTransferInfo,
  uploadId: string,
  packs: readonly (readonly PreparedFile[])[],
  large: readonly PreparedFile[],
  progress: ProgressReporter,
  hooks: DirectUploadHooks,
): Promise<void> {
  const base = `/direct/uploads/${encodeURIComponent(uploadId)}`;
  const targets = (body: { packs: number; blobs: { sha256: string; size: number }[] }) =>
    http.json<DirectUploadTargets>('POST', `${base}/targets`, { json: body });
  const complete = (body: { packs?: string[]; blobs?: { id: string; sha256: string }[] }) =>
    http.json<{ stored: BlobInfo[] }>('POST', `${base}/complete`, { json: body });

  const direct = large.filter((f) => f.hashes.size <= offer.maxObjectBytes);
  const tooBig = large.filter((f) => f.hashes.size > offer.maxObjectBytes);
  await Promise.all([
    runPool(packs, PACK_CONCURRENCY, async (pack) => {
      const t = (await targets({ packs: 1, blobs: [] })).packs[0];
      if (!t) throw new CairnError('UNAVAILABLE', 'the server handed out no upload target');
      const size = pack.reduce((n, f) => n + FRAME_HEADER_BYTES + f.hashes.size, 0);
      await putObject(t.url, hooks.packBody(pack), size, 'a pack upload');
      await complete({ packs: [t.id] });
    }),
    runPool(direct, LARGE_CONCURRENCY, async (f) => {
      const { sha256, size } = f.hashes;
      const t = (await targets({ packs: 0, blobs: [{ sha256, size }] })).blobs[0];
      if (!t) throw new CairnError('UNAVAILABLE', 'the server handed out no upload target');
      const file = createReadStream(f.item.localPath, { highWaterMark: 1 << 20 });
      try {
        await putObject(
          t.url,
          Readable.from(countedFile(file, progress)),
          size,
          `${f.item.localPath}`,
        );
        await complete({ blobs: [{ id: t.id, sha256 }] });
      } catch (err) {
        if (err instanceof CairnError && err.code === 'DIGEST_MISMATCH') {
          throw changedWhileLogged(f.item.localPath, 'the uploaded bytes have another SHA-256');
        }
        throw err;
      } finally {
        file.destroy();
      }
    }),
    runPool(tooBig, LARGE_CONCURRENCY, hooks.viaServer),
  ]);
}

/** Locations sorted by object and offset, split into runs one ranged GET covers. */
function runsOf(items: readonly BlobLocation[]): BlobLocation[][] {
  const sorted = [...items].sort((a, b) =>
    a.url === b.url ? a.offset - b.offset : a.url < b.url ? -1 : 1,
  );
  const runs: BlobLocation[][] = [];
  let run: BlobLocation[] = [];
  let end = 0;
  for (const b of sorted) {
    const first = run[0];
    const joins =
      first !== undefined &&
      first.url === b.url &&
      b.offset >= end &&
      b.offset - end <= RUN_GAP &&
      b.offset + b.size - first.offset <= RUN_MAX_BYTES;
    if (!joins && run.length > 0) {
      runs.push(run);
      run = [];
    }
    run.push(b);
    end = b.offset + b.size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

async function ranged(url: string, start: number, length: number): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { range: `bytes=${start}-${start + length - 1}` } });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    throw new CairnError(
      'UNAVAILABLE',
      `cannot reach the object store for a download (${cause?.code ?? (err as Error).message})`,
    );
  }
  if (!res.ok) throw storeError(res.status, await res.text().catch(() => ''), 'a download');
  return res;
}

async function fetchRun(run: BlobLocation[], putBytes: PutBytes, progress?: ProgressReporter) {
  const first = run[0] as BlobLocation;
  const last = run[run.length - 1] as BlobLocation;
  const length = last.offset + last.size - first.offset;
  const bytes =
    length === 0
      ? new Uint8Array(0)
      : new Uint8Array(await (await ranged(first.url, first.offset, length)).arrayBuffer());
  if (bytes.byteLength !== length) {
    throw new CairnError(
      'UNAVAILABLE',
      `the object store sent ${bytes.byteLength} bytes for a range of ${length}`,
    );
  }
  for (const b of run) {
    // putBytes checks each blob's SHA-256 before anything is placed.
    putBytes(b.sha256, bytes.subarray(b.offset - first.offset, b.offset - first.offset + b.size));
    progress?.add(1, b.size);
  }
}

async function fetchLarge(b: BlobLocation, sinkFor: SinkFor): Promise<void> {
  const res = await ranged(b.url, b.offset, b.size);
  await drainToSink(sinkFor, b.sha256, (res.body ?? []) as AsyncIterable<Uint8Array>);
}

/** Fetches blobs from the bucket: adjacent small ones by one ranged GET per run. */
export async function fetchDirect(
  http: HttpClient,
  blobs: readonly WantedBlob[],
  sinkFor: SinkFor,
  putBytes: PutBytes,
  progress?: ProgressReporter,
): Promise<void> {
  for (let i = 0; i < blobs.length; i += LOCATE_BATCH) {
    const batch = blobs.slice(i, i + LOCATE_BATCH);
    // Asked batch by batch, so URLs are fresh when used even in a long download.
    const { items } = await http.json<BlobLocations>('POST', '/direct/blobs/locate', {
      json: { sha256: batch.map((b) => b.sha256) },
    });
    const small = items.filter((b) => b.size < SMALL_BLOB_BYTES);
    const large = items.filter((b) => b.size >= SMALL_BLOB_BYTES);
    await Promise.all([
      runPool(runsOf(small), RUN_CONCURRENCY, (run) => fetchRun(run, putBytes, progress)),
      runPool(large, LARGE_CONCURRENCY, (b) => fetchLarge(b, sinkFor)),
    ]);
  }
}
