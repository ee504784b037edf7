import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { manifestDigest } from '@cairn/core';
import { Artifact } from '../src/index.js';
import { hashBytes } from '../src/hashing.js';
import { blobsOnS3, passThroughProxy, startEnv } from './helpers.js';
import type { TestEnv } from './helpers.js';

/**
 * Large files logged through the server are hashed here with SHA-256 only; their MD5 (W&B's
 * entry digest) comes from the server, which computes it while verifying the upload or already
 * has it. With direct transfers (the second test pass) the client hashes both itself.
 */
// The hash-first path (streamed-upload.test.ts covers sending large files while hashing them).
process.env['CAIRN_STREAM_LARGE'] = '0';
let env: TestEnv;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env.close();
});

interface Seen {
  route: string;
  body: string;
}

/** A proxy that records each request (with its JSON body) and can strip `described` answers. */
async function proxy(stripDescribed = false): Promise<{
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}> {
  const seen: Seen[] = [];
  const p = await passThroughProxy(env.url, {
    onRequest: (route) => seen.push({ route, body: '' }),
    onJsonBody: (route, body) => {
      const last = seen.findLast((s) => s.route === route && s.body === '');
      if (last) last.body = body;
    },
    // An older server: the session answers no `described`.
    rewriteJson: (route, body) => {
      if (!stripDescribed || route !== 'POST /api/v1/uploads') return undefined;
      delete body['described'];
      return body;
    },
  });
  return { ...p, seen };
}

const direct = (): boolean => blobsOnS3() && process.env['CAIRN_TEST_S3_DIRECT'] !== '0';

function describedIn(seen: Seen[]): string[] {
  return seen
    .filter((s) => s.route === 'POST /api/v1/uploads')
    .flatMap((s) => (JSON.parse(s.body) as { describe?: string[] }).describe ?? []);
}

async function largeFile(dir: string, name: string, bytes = randomBytes(3 << 20)) {
  const path = join(dir, name);
  await writeFile(path, bytes);
  // Older than the stat cache's racy margin (its last change 100 ms before hashing), as a file
  // logged in real life is; otherwise it would not be remembered.
  await new Promise((r) => setTimeout(r, 150));
  return { path, bytes, hashes: hashBytes(bytes) };
}

test('a large file gets the MD5 the server computed: right digests, stat cache filled', async (t) => {
  const p = await proxy();
  t.after(() => p.close());
  const cairn = await env.client({ url: p.url });
  const dir = await env.dir();
  const big = await largeFile(dir, 'model.bin');
  const small = await largeFile(dir, 'notes.txt', Buffer.from('small one'));
  const a = new Artifact({ name: 'md5-large', type: 'model' });
  await a.addFile(big.path);
  await a.addFile(small.path);
  await cairn.save(a);
  assert.equal(a.created, true);
  const entry = await a.getEntry('model.bin');
  assert.equal(entry.digest, big.hashes.md5);
  assert.equal(entry.sha256, big.hashes.sha256);
  assert.equal(
    await a.digest(),
    manifestDigest([
      { path: 'model.bin', digest: big.hashes.md5 },
      { path: 'notes.txt', digest: small.hashes.md5 },
    ]),
  );
  if (!direct()) assert.deepEqual(describedIn(p.seen), [big.hashes.sha256]);
  const fetched = await cairn.artifact('md5-large:latest');
  assert.equal((await fetched.getEntry('model.bin')).digest, big.hashes.md5);
  const root = await fetched.download({ root: await env.dir() });
  assert.deepEqual(await readFile(join(root, 'model.bin')), big.bytes);

  // The MD5 learned from the server went into the stat cache: the re-log opens no session.
  const before = p.seen.length;
  const again = new Artifact({ name: 'md5-large', type: 'model' });
  await again.addFile(big.path);
  await again.addFile(small.path);
  await cairn.save(again);
  assert.equal(again.created, false);
  assert.equal(again.id, a.id);
  assert.equal(p.seen.slice(before).filter((s) => s.route === 'POST /api/v1/uploads').length, 0);
});

test('a large blob the server has already answers its MD5 with the session; nothing is sent', async (t) => {
  const p = await proxy();
  t.after(() => p.close());
  const dir = await env.dir();
  const big = await largeFile(dir, 'weights.bin');
  const first = new Artifact({ name: 'md5-first', type: 'model' });
  await first.addFile(big.path);
  await (await env.client({ url: p.url })).save(first);

  // Another client (empty stat cache), the same bytes under another name and collection.
  const copy = await largeFile(dir, 'copy.bin', big.bytes);
  const other = new Artifact({ name: 'md5-other', type: 'model' });
  await other.addFile(copy.path);
  await (await env.client({ url: p.url })).save(other);
  assert.equal(other.created, true);
  assert.equal((await other.getEntry('copy.bin')).digest, big.hashes.md5);
  assert.equal(other.lastUpload?.bytesSent, 0);

  // The same content again from a third client: equal to latest is found once the MD5 is in.
  const third = await env.client({ url: p.url });
  const same = new Artifact({ name: 'md5-other', type: 'model' });
  await same.addFile(copy.path);
  const before = p.seen.length;
  await third.save(same);
  assert.equal(same.created, false);
  assert.equal(same.id, other.id);
  assert.equal(same.version, other.version);
  const routes = p.seen.slice(before).map((s) => s.route);
  assert.ok(!routes.some((r) => r.endsWith('/commit')), routes.join(', '));
  const versions = await third.artifact('md5-other:latest');
  assert.equal(versions.version, 'v0');
});

test('a server that does not answer `described` gets the MD5 computed by the client', async (t) => {
  const p = await proxy(true);
  t.after(() => p.close());
  const dir = await env.dir();
  const big = await largeFile(dir, 'ckpt.bin');
  const seed = new Artifact({ name: 'md5-old-server-seed', type: 'model' });
  await seed.addFile(big.path);
  await (await env.client()).save(seed);
  // Through the proxy the session says nothing of the stored blob; the client hashes it.
  const a = new Artifact({ name: 'md5-old-server', type: 'model' });
  await a.addFile(big.path);
  await (await env.client({ url: p.url })).save(a);
  assert.equal(a.created, true);
  assert.equal((await a.getEntry('ckpt.bin')).digest, big.hashes.md5);
  assert.equal(a.lastUpload?.bytesSent, 0);
});

test('describe may only name hashes the upload pins', async () => {
  const sha = 'a'.repeat(64);
  const res = await fetch(`${env.url}/api/v1/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      entity: 'tester',
      project: 'proj',
      collection: 'x',
      type: 'model',
      sha256: [],
      describe: [sha],
    }),
  });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'VALIDATION');
  assert.match(body.error.message, /describe may only name hashes listed in sha256/);
});
