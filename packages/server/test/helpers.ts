import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FRAMES_CONTENT_TYPE,
  encodeFrameHeader,
  type CommitResult,
  type ManifestEntry,
  type UploadSession,
} from '@cairn/core';
import { startServer, type ServerOptions } from '@cairn/server';

export interface TestServer {
  url: string;
  api: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * With CAIRN_TEST_POSTGRES_URL (an admin connection URL) set, every test server gets a fresh
 * PostgreSQL database instead of SQLite: the same suite runs on both metadata backends.
 */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = process.env['CAIRN_TEST_POSTGRES_URL'];
  if (!admin) return undefined;
  const { default: pg } = await import('pg');
  const name = `cairn_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function testServer(options: ServerOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cairn-server-'));
  const database = options.databaseUrl === undefined ? await freshPostgres() : undefined;
  const s = await startServer({
    port: 0,
    dataDir,
    ...(database ? { databaseUrl: database.url } : {}),
    ...options,
  });
  return {
    url: s.url,
    api: `${s.url}/api/v1`,
    dataDir,
    async close() {
      await s.close();
      await database?.drop();
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
