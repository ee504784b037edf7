import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, rmSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CairnError } from '@cairn/core';
import { Artifact } from '../src/index.js';
import { hashBytes } from '../src/hashing.js';
import { HttpClient } from '../src/http.js';
import { isLoopbackUrl } from '../src/local-upload.js';
import { StreamedLarge, streamsLarge } from '../src/streamed-upload.js';
import { blobsOnS3, passThroughProxy, startEnv } from './helpers.js';
import type { TestEnv } from './helpers.js';

/**
 * To a server on this machine, a large file the stat cache does not know is sent while it is
 * read (POST /blobs), its hashes the server's (to a server elsewhere, its SHA-256 also hashed
 * here and checked against the server's). With direct transfers (the second test pass) large files go to the bucket instead.
 */
let env: TestEnv;
before(async () => {
  delete process.env['CAIRN_STREAM_LARGE'];
  env = await startEnv();
});
after(async () => {
  await env.close();
});

const direct = (): boolean => blobsOnS3() && process.env['CAIRN_TEST_S3_DIRECT'] !== '0';

async function largeFile(dir: string, name: string, bytes = randomBytes(3 << 20)) {
  const path = join(dir, name);
  await writeFile(path, bytes);
  // Past the stat cache's racy margin, so the hashes are remembered.
  await new Promise((r) => setTimeout(r, 150));
  return { path, bytes, hashes: hashBytes(bytes) };
}

test('which servers get large files while they are read', () => {
  for (const url of ['http://127.0.0.1:8080', 'http://localhost:1', 'http://[::1]:8080'])
    assert.equal(isLoopbackUrl(url), true, url);
  for (const url of ['http://10.0.0.2:8080', 'https://cairn.example.com', 'not a url'])
    assert.equal(isLoopbackUrl(url), false, url);
  process.env['CAIRN_STREAM_LARGE'] = '0';
  assert.equal(streamsLarge('http://127.0.0.1:8080'), false);
  process.env['CAIRN_STREAM_LARGE'] = '1';
  assert.equal(streamsLarge('https://cairn.example.com'), true);
  delete process.env['CAIRN_STREAM_LARGE'];
  assert.equal(streamsLarge('http://127.0.0.1:8080'), true);
});

test('a large file sent while read: right digests, bytes intact, remembered for the re-log', async () => {
  const cairn = await env.client();
  const dir = await env.dir();
  const big = await largeFile(dir, 'model.bin');
  const a = new Artifact({ name: 'streamed', type: 'model' });
  await a.addFile(big.path);
  await a.addFile((await largeFile(dir, 'small.txt', Buffer.from('tiny'))).path);
  const hashing: { bytesDone: number; bytesTotal: number; filesDone: number }[] = [];
  await cairn.save(a, { onProgress: (p) => void (p.phase === 'hashing' && hashing.push(p)) });
  // Bytes sent while read count once: the phase ends at exactly its total.
  const last = hashing.at(-1);
  assert.deepEqual(last && [last.filesDone, last.bytesDone], [2, big.bytes.length + 4]);
  assert.equal(last?.bytesTotal, big.bytes.length + 4);
  assert.equal(a.created, true);
  const entry = await a.getEntry('model.bin');
  assert.equal(entry.digest, big.hashes.md5);
  assert.equal(entry.sha256, big.hashes.sha256);
  assert.equal(a.lastUpload?.largeBlobs, 1);
  assert.equal(a.lastUpload?.bytesSent, big.bytes.length + 4);
  const root = await (await cairn.artifact('streamed:latest')).download({ root: await env.dir() });
  assert.deepEqual(await readFile(join(root, 'model.bin')), big.bytes);

  const again = new Artifact({ name: 'streamed', type: 'model' });
  await again.addFile(big.path);
  await again.addFile(join(dir, 'small.txt'));
  await cairn.save(again);
  assert.equal(again.created, false);
  assert.equal(again.id, a.id);
  assert.deepEqual(again.lastUpload, { missing: 0, bytesSent: 0, packs: 0, largeBlobs: 0 });
});

test('bytes the server already has are kept once; a client without the stat cache still logs', async () => {
  const dir = await env.dir();
  const big = await largeFile(dir, 'weights.bin');
  const first = new Artifact({ name: 'streamed-one', type: 'model' });
  await first.addFile(big.path);
  await (await env.client()).save(first);
  const copy = new Artifact({ name: 'streamed-two', type: 'model' });
  await copy.addFile(big.path, { name: 'copy.bin' });
  const other = await env.client();
  await other.save(copy);
  assert.equal((await copy.getEntry('copy.bin')).digest, big.hashes.md5);
  if (!blobsOnS3()) {
    // One object holds these bytes: the second copy was dropped by the server.
    const objects = await listFiles(join(env.dirs[0] as string, 'objects'));
    const sized = [];
    for (const f of objects) {
      if (hashBytes(await readFile(f)).sha256 === big.hashes.sha256) sized.push(f);
    }
    assert.equal(sized.length, 1, sized.join(', '));
  }
  // The same content again from a fresh client: equal to latest, no version.
  const same = new Artifact({ name: 'streamed-two', type: 'model' });
  await same.addFile(big.path, { name: 'copy.bin' });
  await (await env.client()).save(same);
  assert.equal(same.created, false);
  assert.equal(same.version, 'v0');
});

/** The socket path, for a test about it: a server on this machine would be given the file. */
function overSocket(t: { after(fn: () => void): void }): void {
  process.env['CAIRN_LOCAL_COPY'] = '0';
  t.after(() => {
    delete process.env['CAIRN_LOCAL_COPY'];
  });
}

test('a file that changes while it is sent fails the log naming it; no version', async (t) => {
  if (direct()) return;
  overSocket(t);
  const dir = await env.dir();
  const path = join(dir, 'growing.bin');
  await writeFile(path, randomBytes(8 << 20));
  await new Promise((r) => setTimeout(r, 150));
  // Halfway through the body of POST /blobs, the file grows, as under a writer still busy.
  let appended = false;
  let seen = 0;
  const proxy = await passThroughProxy(env.url, {
    onChunk: (route, chunk) => {
      seen += route === 'POST /api/v1/blobs' ? chunk.length : 0;
      if (!appended && seen >= 4 << 20) {
        appended = true;
        appendFileSync(path, randomBytes(1 << 20));
      }
    },
  });
  t.after(() => proxy.close());
  const cairn = await env.client({ url: proxy.url });
  const a = new Artifact({ name: 'streamed-racy', type: 'model' });
  await a.addFile(path);
  await assert.rejects(a.save({ client: cairn }), (err: CairnError) => {
    assert.equal(err.code, 'DIGEST_MISMATCH');
    assert.match(err.message, /growing\.bin changed while being logged/);
    return true;
  });
  assert.equal(appended, true);
  assert.equal(a.isDraft(), true);
  await assert.rejects(cairn.artifact('proj/streamed-racy'), { code: 'NOT_FOUND' });
});

test('sent to a server elsewhere, bytes changed on the way fail the log; over loopback they are not hashed twice', async (t) => {
  if (direct()) return;
  overSocket(t);
  const big = await largeFile(await env.dir(), 'tampered.bin');
  // A proxy that flips one byte of every POST /blobs body: what a faulty network path would do.
  const proxy = await passThroughProxy(env.url, {
    onChunk: (route, chunk) => {
      if (route === 'POST /api/v1/blobs' && chunk.length > 0) chunk[0] = (chunk[0] ?? 0) ^ 0xff;
    },
  });
  t.after(() => proxy.close());
  const item = {
    kind: 'file' as const,
    path: 'tampered.bin',
    localPath: big.path,
    size: big.bytes.length,
  };
  const http = new HttpClient(proxy.url);
  await assert.rejects(new StreamedLarge(http, { verify: true }).hash(item), (err: CairnError) => {
    assert.equal(err.code, 'DIGEST_MISMATCH');
    assert.match(err.message, /the server received other bytes than were read/);
    return true;
  });
  // Loopback (the default for this URL): the server's hashes are taken as they are.
  const trusted = await new StreamedLarge(http).hash(item);
  assert.notEqual(trusted.sha256, big.hashes.sha256);
  const honest = await new StreamedLarge(new HttpClient(env.url)).hash(item);
  assert.deepEqual(honest, big.hashes);
});

test('to a server on this machine a large file goes by file copy; one changed before the server hashed it fails the log', async (t) => {
  if (blobsOnS3()) return;
  const routes: string[] = [];
  const race: { file?: string } = {};
  const proxy = await passThroughProxy(env.url, {
    onRequest: (route) => {
      routes.push(route);
      // After the copy, before the server reads it back: the stat after no longer matches.
      if (race.file && route.endsWith('/finish')) appendFileSync(race.file, 'more');
    },
  });
  t.after(() => proxy.close());
  const cairn = await env.client({ url: proxy.url });
  const big = await largeFile(await env.dir(), 'copied.bin');
  const a = new Artifact({ name: 'by-file', type: 'model' });
  await a.addFile(big.path);
  await cairn.save(a);
  assert.ok(routes.includes('POST /api/v1/blobs/local-uploads'), routes.join(', '));
  assert.ok(!routes.includes('POST /api/v1/blobs'), 'no byte went over the socket');
  const entry = (await a.manifest()).entries[0];
  assert.equal(entry?.digest, big.hashes.md5);
  assert.equal(entry?.sha256, big.hashes.sha256);
  const root = await env.dir();
  await (await (await env.client()).artifact('by-file:latest')).download({ root });
  assert.deepEqual(await readFile(join(root, 'copied.bin')), big.bytes);

  const racy = await largeFile(await env.dir(), 'racy.bin');
  race.file = racy.path;
  const b = new Artifact({ name: 'by-file-racy', type: 'model' });
  await b.addFile(racy.path);
  await assert.rejects(cairn.save(b), (err: CairnError) => {
    assert.equal(err.code, 'DIGEST_MISMATCH');
    assert.match(err.message, /racy\.bin changed while being logged/);
    return true;
  });
  await assert.rejects(cairn.artifact('proj/by-file-racy'), { code: 'NOT_FOUND' });
});

test('a large file the stat cache knows goes by file copy to a server on this machine that lacks it', async (t) => {
  if (blobsOnS3()) return;
  const dir = await env.dir();
  const big = await largeFile(dir, 'known.bin');
  const cacheDir = await env.dir();
  const a = new Artifact({ name: 'known-first', type: 'model' });
  await a.addFile(big.path);
  await (await env.client({ cacheDir })).save(a);

  // Another server, the same cache: the hashes are known, the bytes are not there.
  const other = await startEnv();
  t.after(() => other.close());
  const routes: string[] = [];
  const proxy = await passThroughProxy(other.url, { onRequest: (route) => routes.push(route) });
  t.after(() => proxy.close());
  const cairn = await other.client({ url: proxy.url, cacheDir });
  const b = new Artifact({ name: 'known-again', type: 'model' });
  await b.addFile(big.path);
  await cairn.save(b);
  assert.ok(routes.includes('POST /api/v1/blobs/local-uploads'), routes.join(', '));
  assert.ok(!routes.some((r) => r.startsWith('PUT /api/v1/blobs/')), 'no byte over the socket');
  const root = await other.dir();
  await (await other.client()).artifact('known-again:latest').then((v) => v.download({ root }));
  assert.deepEqual(await readFile(join(root, 'known.bin')), big.bytes);

  // The same, with the file changed after it was hashed and before it was copied: no version.
  const third = await startEnv();
  t.after(() => third.close());
  const proxy3 = await passThroughProxy(third.url, {
    onRequest: (route) => {
      if (route === 'POST /api/v1/blobs/local-uploads') appendFileSync(big.path, 'later');
    },
  });
  t.after(() => proxy3.close());
  const c = new Artifact({ name: 'known-racy', type: 'model' });
  await c.addFile(big.path);
  await assert.rejects(
    (await third.client({ url: proxy3.url, cacheDir })).save(c),
    (err: CairnError) => {
      assert.equal(err.code, 'DIGEST_MISMATCH');
      assert.match(err.message, /known\.bin changed while being logged/);
      return true;
    },
  );
  await assert.rejects((await third.client()).artifact('known-racy'), { code: 'NOT_FOUND' });
});

test('a copy the server cannot adopt is sent over the socket instead', async (t) => {
  if (blobsOnS3()) return;
  const routes: string[] = [];
  let first: { id: string; path: string } | undefined;
  const proxy = await passThroughProxy(env.url, {
    onRequest: (route) => {
      routes.push(route);
      // The first copy vanishes before the server reads it: its finish fails (404).
      if (first && route === `POST /api/v1/blobs/local-uploads/${first.id}/finish`) {
        rmSync(first.path, { force: true });
      }
    },
    rewriteJson: (route, body) => {
      if (route === 'POST /api/v1/blobs/local-uploads' && !first) {
        first = { id: String(body['id']), path: String(body['path']) };
      }
      return undefined;
    },
  });
  t.after(() => proxy.close());
  const cairn = await env.client({ url: proxy.url });
  const dir = await env.dir();
  const files = [await largeFile(dir, 'one.bin'), await largeFile(dir, 'two.bin')];
  const a = new Artifact({ name: 'by-file-fallback', type: 'model' });
  for (const f of files) await a.addFile(f.path);
  await cairn.save(a);
  assert.ok(first, 'a local upload was offered');
  assert.ok(routes.includes(`DELETE /api/v1/blobs/local-uploads/${first.id}`), routes.join(', '));
  assert.ok(routes.includes('POST /api/v1/blobs'), 'the failed one went over the socket');
  const byPath = new Map((await a.manifest()).entries.map((e) => [e.path, e]));
  const root = await env.dir();
  await (await (await env.client()).artifact('by-file-fallback:latest')).download({ root });
  for (const [i, name] of ['one.bin', 'two.bin'].entries()) {
    const f = files[i] as (typeof files)[number];
    assert.equal(byPath.get(name)?.sha256, f.hashes.sha256);
    assert.equal(byPath.get(name)?.digest, f.hashes.md5);
    assert.deepEqual(await readFile(join(root, name)), f.bytes);
  }
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}
