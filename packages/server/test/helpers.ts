import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import {
  FRAMES_CONTENT_TYPE,
  encodeFrameHeader,
  type CommitResult,
  type ManifestEntry,
  type UploadSession,
} from '@cairn/core';
import { startServer, type ServerOptions } from '@cairn/server';
import { S3BlobStore } from '../src/store/blob/s3-blob-store.js';
import type { S3Location } from '../src/store/blob/s3-location.js';
import { testBackends } from './backends.js';

export { s3ServerOptions } from './backends.js';

export interface TestServer {
  url: string;
  api: string;
  dataDir: string;
  /** The bucket location when blobs live on S3 (CAIRN_TEST_S3_URL), else undefined. */
  s3: S3Location | undefined;
  /** Every object key of the blob store (`blobs/ab/…`, `packs/cd/…`), sorted. */
  objects(): Promise<string[]>;
  /** Total size of every object of the blob store. */
  storedBytes(): Promise<number>;
  /** Puts bytes under a key behind the server's back (an orphan, a corrupt object). */
  writeObject(key: string, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

async function fsObjects(dataDir: string): Promise<string[]> {
  const dir = join(dataDir, 'objects');
  const all = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return all
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/** A server on an ephemeral port; `onS3` puts its blobs there whatever the run's backends. */
export async function testServer(
  options: ServerOptions = {},
  onS3?: S3Location,
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cairn-server-'));
  const backends = await testBackends(options, onS3);
  const s3 = backends.s3;
  const s = await startServer({ port: 0, dataDir, ...backends.options, ...options });
  let bucket: Promise<S3BlobStore> | undefined;
  const inBucket = (): Promise<S3BlobStore> => (bucket ??= S3BlobStore.open(s3 as S3Location));
  const objects = async (): Promise<string[]> => {
    if (!s3) return fsObjects(dataDir);
    const out: string[] = [];
    for (const prefix of ['blobs', 'packs']) {
      for await (const k of (await inBucket()).list(prefix)) out.push(k);
    }
    return out.sort();
  };
  return {
    url: s.url,
    api: `${s.url}/api/v1`,
    dataDir,
    s3,
    objects,
    async storedBytes() {
      let total = 0;
      for (const key of await objects()) {
        total += s3
          ? ((await (await inBucket()).head(key)) ?? 0)
          : (await stat(join(dataDir, 'objects', ...key.split('/')))).size;
      }
      return total;
    },
    async writeObject(key, bytes) {
      if (s3) {
        await (
          await inBucket()
        ).put(
          key,
          (async function* () {
            yield bytes;
          })(),
        );
        return;
      }
      const path = join(dataDir, 'objects', ...key.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, bytes);
    },
    async close() {
      await s.close();
      await (await bucket)?.close();
      await backends.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function sha256(b: Uint8Array | string): string {
  return createHash('sha256').update(b).digest('hex');
}

export function md5b64(b: Uint8Array | string): string {
  return createHash('md5').update(b).digest('base64');
}

export function fileEntry(path: string, bytes: Uint8Array | string): ManifestEntry {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return { path, digest: md5b64(b), size: b.byteLength, sha256: sha256(b) };
}

export async function json<T>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${text}`);
  return JSON.parse(text) as T;
}

export function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

export function frames(blobs: (Uint8Array | string)[], lie = false): Buffer {
  const parts: Uint8Array[] = [];
  for (const blob of blobs) {
    const b = typeof blob === 'string' ? Buffer.from(blob) : blob;
    parts.push(encodeFrameHeader(lie ? sha256('something else') : sha256(b), b.byteLength), b);
  }
  return Buffer.concat(parts);
}

export function putPack(
  api: string,
  blobs: (Uint8Array | string)[],
  lie = false,
): Promise<Response> {
  return fetch(`${api}/packs`, {
    method: 'POST',
    headers: { 'content-type': FRAMES_CONTENT_TYPE },
    body: frames(blobs, lie),
  });
}

/** The whole negotiation for a set of files: start, send what is missing in one pack, commit. */
export async function logFiles(
  api: string,
  where: { entity?: string; project?: string; collection?: string; type?: string },
  files: Record<string, string | Uint8Array>,
  extra: Record<string, unknown> = {},
): Promise<CommitResult & { missing: string[] }> {
  const entries = Object.entries(files).map(([p, b]) => fileEntry(p, b));
  const session = await json<UploadSession>(
    post(`${api}/uploads`, {
      entity: where.entity ?? 'alice',
      project: where.project ?? 'proj',
      collection: where.collection ?? 'data',
      type: where.type ?? 'dataset',
      sha256: entries.map((e) => e.sha256),
    }),
  );
  const bySha = new Map(Object.values(files).map((b) => [sha256(b), b]));
  const send = session.missing.map((s) => bySha.get(s) ?? '');
  if (send.length > 0) await json(putPack(api, send));
  const result = await json<CommitResult>(
    post(`${api}/uploads/${session.uploadId}/commit`, { entries, ...extra }),
  );
  return { ...result, missing: session.missing };
}
