import { CairnError, FRAMES_CONTENT_TYPE, FrameParser } from '@cairn/core';
import type { BlobWriter } from './cache.js';
import { directTransfer, fetchDirect } from './direct-transfer.js';
import type { HttpClient } from './http.js';
import { runPool } from './pool.js';
import type { ProgressReporter } from './progress.js';

/** Blobs below this size are fetched many per request (POST /blobs/batch); larger ones alone. */
export const BATCH_BLOB_BYTES = 1 << 20;
const BATCH_MAX_BYTES = 64 * 1024 * 1024;
const BATCH_MAX_COUNT = 5000;
const BATCH_CONCURRENCY = 2;
const LARGE_CONCURRENCY = 3;

export interface WantedBlob {
  sha256: string;
  size: number;
}

export type SinkFor = (sha256: string) => Promise<BlobWriter>;
/**
 * Where small blobs of a batch go once complete in memory; must check the SHA-256. Synchronous:
 * a 4 KiB blob is written faster by a few direct calls than through the threadpool.
 */
export type PutBytes = (sha256: string, bytes: Uint8Array) => void;

/** Wraps a sink so every written chunk and committed blob is counted. */
function countingSink(sinkFor: SinkFor, progress: ProgressReporter | undefined): SinkFor {
  if (!progress) return sinkFor;
  return async (sha) => {
    const w = await sinkFor(sha);
    const write = w.write.bind(w);
    const commit = w.commit.bind(w);
    w.write = async (chunk) => {
      await write(chunk);
      progress.add(0, chunk.length);
    };
    w.commit = async () => {
      const p = await commit();
      progress.add(1, 0);
      return p;
    };
    return w;
  };
}

function groupBatches(blobs: readonly WantedBlob[]): WantedBlob[][] {
  const out: WantedBlob[][] = [];
  let cur: WantedBlob[] = [];
  let bytes = 0;
  for (const b of blobs) {
    if (cur.length > 0 && (bytes + b.size > BATCH_MAX_BYTES || cur.length >= BATCH_MAX_COUNT)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(b);
    bytes += b.size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

async function fetchBatch(
  http: HttpClient,
  batch: WantedBlob[],
  putBytes: PutBytes,
  progress: ProgressReporter | undefined,
): Promise<void> {
  const wanted = new Set(batch.map((b) => b.sha256));
  const body = await http.download('POST', '/blobs/batch', {
    json: { sha256: [...wanted] },
    headers: { accept: FRAMES_CONTENT_TYPE },
  });
  const parser = new FrameParser();
  let parts: Uint8Array[] = [];
  for await (const chunk of body) {
    for (const ev of parser.push(chunk)) {
      if (ev.kind === 'start') {
        if (!wanted.has(ev.sha256)) {
          throw new CairnError(
            'UNAVAILABLE',
            `the server sent blob ${ev.sha256}, which was not asked for`,
          );
        }
        parts = [];
      } else if (ev.kind === 'data') {
        // Views into the received chunk, which is not reused: no copy unless a blob spans chunks.
        parts.push(ev.bytes);
      } else {
        const sha = ev.sha256;
        const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
        parts = [];
        putBytes(sha, bytes);
        wanted.delete(sha);
        progress?.add(1, bytes.length);
      }
    }
  }
  parser.finish();
  if (wanted.size > 0) {
    throw new CairnError(
      'MISSING_BLOBS',
      `the server did not send ${wanted.size} blob(s): ${[...wanted].slice(0, 5).join(', ')}`,
      { sha256: [...wanted] },
    );
  }
}

/** Writes a blob's chunks through the writer `sinkFor` hands out; commits, or aborts on any error. */
export async function drainToSink(
  sinkFor: SinkFor,
  sha256: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<void> {
  const writer = await sinkFor(sha256);
  try {
    for await (const chunk of chunks) await writer.write(chunk);
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

async function fetchOne(http: HttpClient, blob: WantedBlob, sinkFor: SinkFor): Promise<void> {
  await drainToSink(sinkFor, blob.sha256, await http.download('GET', `/blobs/${blob.sha256}`));
}

/** Fetches blobs into the writers `sinkFor` hands out; each writer checks the bytes' SHA-256. */
export async function fetchBlobs(
  http: HttpClient,
  blobs: readonly WantedBlob[],
  sinkFor: SinkFor,
  putBytes: PutBytes,
  progress?: ProgressReporter,
): Promise<void> {
  const batchProgress = progress;
  sinkFor = countingSink(sinkFor, progress);
  // Straight from the server's object store when it offers that.
  if (blobs.length > 0 && (await directTransfer(http))) {
    return fetchDirect(http, blobs, sinkFor, putBytes, batchProgress);
  }
  const small = blobs.filter((b) => b.size < BATCH_BLOB_BYTES);
  const large = blobs.filter((b) => b.size >= BATCH_BLOB_BYTES);
  await Promise.all([
    runPool(groupBatches(small), BATCH_CONCURRENCY, (batch) =>
      fetchBatch(http, batch, putBytes, batchProgress),
    ),
    runPool(large, LARGE_CONCURRENCY, (b) => fetchOne(http, b, sinkFor)),
  ]);
}
