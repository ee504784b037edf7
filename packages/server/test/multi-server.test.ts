import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type {
  CommitResult,
  DirectUploadTargets,
  ManifestBody,
  Page,
  UploadSession,
  VersionInfo,
} from '@cairn/core';
import { startServer } from '@cairn/server';
import type { S3Location } from '../src/store/blob/s3-location.js';
import {
  fileEntry,
  frames,
  json,
  logFiles,
  md5b64,
  post,
  putPack,
  s3ServerOptions,
  sha256,
} from './helpers.js';
import { testS3 } from './s3.js';
import { exited, spawnServer } from './spawned-server.js';

const admin = process.env['CAIRN_TEST_POSTGRES_URL'];
const needsPostgres = admin ? false : 'needs CAIRN_TEST_POSTGRES_URL (.ci/run starts PostgreSQL)';
const MiB = 1024 * 1024;

async function sharedDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = `cairn_multi_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  const url = new URL(admin ?? '');
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`drop database if exists ${name} with (force)`);
      await d.end();
    },
  };
}

/** The negotiation with the bytes PUT straight to the bucket (one pack) instead of the server. */
async function logDirect(
  api: string,
  collection: string,
  files: Record<string, string>,
): Promise<CommitResult> {
  const entries = Object.entries(files).map(([p, b]) => fileEntry(p, b));
  const session = await json<UploadSession>(
    post(`${api}/uploads`, {
      entity: 'alice',
      project: 'proj',
      collection,
      type: 'dataset',
      sha256: entries.map((e) => e.sha256),
    }),
  );
  if (session.missing.length > 0) {
    const bySha = new Map(Object.values(files).map((b) => [sha256(b), b]));
    const t = await json<DirectUploadTargets>(
      post(`${api}/direct/uploads/${session.uploadId}/targets`, { packs: 1, blobs: [] }),
    );
    const target = t.packs[0];
    assert.ok(target);
    const put = await fetch(target.url, {
      method: 'PUT',
      body: frames(session.missing.map((s) => bySha.get(s) ?? '')),
    });
    assert.equal(put.status, 200);
    await json(post(`${api}/direct/uploads/${session.uploadId}/complete`, { packs: [target.id] }));
  }
  return json<CommitResult>(post(`${api}/uploads/${session.uploadId}/commit`, { entries }));
}

/** Every file of every version, read through `api`, has the SHA-256 and MD5 of its entry. */
async function verifyAll(api: string, collection: string, expected: number): Promise<void> {
  const page = await json<Page<VersionInfo>>(
    fetch(`${api}/versions?entity=alice&project=proj&collection=${collection}&limit=100`),
  );
  assert.deepEqual(
    page.items.map((v) => v.index).sort((x, y) => x - y),
    Array.from({ length: expected }, (_, i) => i),
    `${collection}: consecutive versions, no duplicates`,
  );
  assert.equal(page.items.find((v) => v.aliases.includes('latest'))?.index, expected - 1);
  for (const v of page.items) {
    const m = await json<ManifestBody>(fetch(`${api}/versions/${v.id}/manifest`));
    for (const e of m.entries) {
      const res = await fetch(`${api}/versions/${v.id}/file?path=${encodeURIComponent(e.path)}`);
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal(sha256(bytes), e.sha256, `${collection} v${v.index} ${e.path}`);
      assert.equal(md5b64(bytes), e.digest);
    }
  }
}

test(
  'two servers sharing one PostgreSQL database and one bucket: 20 clients through both get consecutive versions',
  { skip: needsPostgres },
  async () => {
    const db = await sharedDatabase();
    const s3 = await testS3();
    const bucket = s3ServerOptions(s3.location(true));
    const dataDirs = [
      await mkdtemp(join(tmpdir(), 'cairn-multi-')),
      await mkdtemp(join(tmpdir(), 'cairn-multi-')),
    ];
    const [a, b] = await Promise.all(
      dataDirs.map((dataDir) => startServer({ port: 0, dataDir, databaseUrl: db.url, ...bucket })),
    );
    assert.ok(a && b);
    try {
      const apis = [`${a.url}/api/v1`, `${b.url}/api/v1`];
      // Two collections, ten clients each, alternating servers and paths (through the server
      // and straight to the bucket), all at once; some files shared between clients.
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          const api = apis[i % 2] ?? '';
          const collection = i % 4 < 2 ? 'shared' : 'other';
          const files = { [`f${i}`]: `client ${i}`, common: `common to ${collection}` };
          return i % 3 === 0
            ? logDirect(api, collection, files)
            : logFiles(api, { collection }, files);
        }),
      );
      assert.ok(results.every((r) => r.created));
      for (const api of apis) {
        await verifyAll(api, 'shared', 10);
        await verifyAll(api, 'other', 10);
      }
    } finally {
      await a.close();
      await b.close();
      await s3.close();
      await db.drop();
      for (const d of dataDirs) await rm(d, { recursive: true, force: true });
    }
  },
);

/** A spawned server with a throwaway data directory (its metadata and blobs are shared). */
async function spawnShared(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; api: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cairn-multi-kill-'));
  const s = await spawnServer(dataDir, env);
  s.child.once('exit', () => void rm(dataDir, { recursive: true, force: true }));
  return s;
}

function envOf(db: string, loc: S3Location): Record<string, string> {
  return {
    CAIRN_DATABASE_URL: db,
    CAIRN_BLOBS_URL: `s3://${loc.bucket}/${loc.prefix}`,
    CAIRN_S3_ENDPOINT: loc.endpoint ?? '',
    CAIRN_S3_FORCE_PATH_STYLE: '1',
    CAIRN_S3_REGION: loc.region,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(
  'one of two servers killed (SIGKILL) mid-upload: the other keeps serving, nothing is half-committed, the retry succeeds',
  { skip: needsPostgres },
  async () => {
    const db = await sharedDatabase();
    // An s3rver of this test's own, to see the multipart upload in flight.
    const s3 = await testS3(true);
    const env = envOf(db.url, s3.location(false));
    const [a, b] = await Promise.all([spawnShared(env), spawnShared(env)]);
    try {
      const big = Buffer.alloc(24 * MiB, 5);
      big.write(`unique ${randomBytes(8).toString('hex')}`);
      const small = ['kill small one', 'kill small two'];
      const entries = [
        fileEntry('big.bin', big),
        fileEntry('a.txt', small[0] ?? ''),
        fileEntry('b.txt', small[1] ?? ''),
      ];
      const start = { entity: 'alice', project: 'proj', collection: 'killed', type: 'dataset' };
      const session = await json<UploadSession>(
        post(`${a.api}/uploads`, { ...start, sha256: entries.map((e) => e.sha256) }),
      );
      await json(putPack(a.api, small));

      // Clients keep logging through B the whole time.
      let stop = false;
      const steady = (async () => {
        const done: CommitResult[] = [];
        for (let i = 0; !stop || done.length < 3; i++) {
          done.push(await logFiles(b.api, { collection: 'steady' }, { [`s${i}`]: `steady ${i}` }));
        }
        return done;
      })();

      // Stream the big blob slowly into A; kill A once parts are reaching the bucket.
      const req = request(new URL(`${a.api}/blobs/${sha256(big)}`), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-length': big.length },
      });
      req.on('error', () => undefined);
      const parts = () => s3.requests.filter((r) => r.method === 'PUT' && r.fromSdk).length;
      const partsBefore = parts();
      let sent = 0;
      while (parts() === partsBefore) {
        assert.ok(sent < big.length, 'server A should be sending parts to the bucket');
        req.write(big.subarray(sent, sent + MiB));
        sent += MiB;
        await sleep(15);
      }
      a.child.kill('SIGKILL');
      await exited(a.child);
      req.destroy();
      stop = true;
      const steadyDone = await steady;
      assert.ok(
        steadyDone.every((r) => r.created),
        'B committed every steady version',
      );

      // Nothing of A's half-upload is visible or indexed.
      const missing = await json<{ missing: string[] }>(
        post(`${b.api}/blobs/missing`, { sha256: [sha256(big)] }),
      );
      assert.deepEqual(missing.missing, [sha256(big)]);
      const none = await fetch(`${b.api}/versions?entity=alice&project=proj&collection=killed`);
      assert.equal(none.status, 404, 'no version from the killed upload');
      const stale = await post(`${b.api}/uploads/${session.uploadId}/commit`, { entries });
      assert.equal(stale.status, 400);
      assert.equal(
        ((await stale.json()) as { error: { code: string } }).error.code,
        'MISSING_BLOBS',
      );

      // Every index row points at bytes that hash to it.
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      const rows = (await c.query('select sha256, size from blobs')).rows as {
        sha256: string;
        size: string | number;
      }[];
      await c.end();
      assert.ok(rows.length > 0);
      for (const row of rows) {
        const bytes = Buffer.from(
          await (await fetch(`${b.api}/blobs/${row.sha256}`)).arrayBuffer(),
        );
        assert.equal(bytes.length, Number(row.size));
        assert.equal(sha256(bytes), row.sha256);
      }

      // The retry through B sends only the big blob and commits v0.
      const retry = await json<UploadSession>(
        post(`${b.api}/uploads`, { ...start, sha256: entries.map((e) => e.sha256) }),
      );
      assert.deepEqual(retry.missing, [sha256(big)]);
      await json(
        fetch(`${b.api}/blobs/${sha256(big)}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream' },
          body: big,
        }),
      );
      const done = await json<CommitResult>(
        post(`${b.api}/uploads/${retry.uploadId}/commit`, { entries }),
      );
      assert.equal(done.version.index, 0);
      const back = await fetch(`${b.api}/versions/${done.version.id}/file?path=big.bin`);
      assert.equal(sha256(Buffer.from(await back.arrayBuffer())), sha256(big));
    } finally {
      for (const s of [a, b]) {
        if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
        await exited(s.child);
      }
      await s3.close();
      await db.drop();
    }
  },
);
