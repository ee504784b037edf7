import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCAL_BLOBS_MAX_HASHES } from '@cairn/core';
import { Artifact } from '../src/index.js';
import { hashBytes } from '../src/hashing.js';
import { blobsOnS3, passThroughProxy, startEnv } from './helpers.js';
import type { ProxyHooks, TestEnv } from './helpers.js';

/**
 * From a server on this machine whose store is a local folder, a download copies large blobs
 * from the server's files (POST /blobs/local) instead of receiving them over the socket: into
 * the cache and the destination, each a file of its own, SHA-256 checked. With blobs on S3 (the
 * second test pass) the server names no files and the bytes come as before.
 */
let env: TestEnv;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env.close();
  delete process.env['CAIRN_LOCAL_COPY'];
});

const localStore = (): boolean => !blobsOnS3();

async function logged(name: string) {
  const dir = await env.dir();
  const big = randomBytes((3 << 20) + 11);
  await writeFile(join(dir, 'model.bin'), big);
  await writeFile(join(dir, 'same.bin'), big);
  await writeFile(join(dir, 'notes.txt'), 'small');
  const a = new Artifact({ name, type: 'model' });
  await a.addDir(dir);
  await (await env.client()).save(a);
  return { big, sha256: hashBytes(big).sha256 };
}

/** A client through a proxy that records every route, with a cache directory of its own. */
async function watchedClient(t: { after(fn: () => Promise<void>): void }, hooks: ProxyHooks = {}) {
  const routes: string[] = [];
  const proxy = await passThroughProxy(env.url, {
    ...hooks,
    onRequest: (route) => routes.push(route),
  });
  t.after(() => proxy.close());
  const cacheDir = await env.dir();
  return { routes, cacheDir, cairn: await env.client({ url: proxy.url, cacheDir }) };
}

test('a large blob is copied from the server’s file, checked, cached, and never shares an inode', async (t) => {
  const { big, sha256 } = await logged('local-copied');
  const { routes, cacheDir, cairn } = await watchedClient(t);
  const root = await env.dir();
  await (await cairn.artifact('local-copied:latest')).download({ root });
  for (const name of ['model.bin', 'same.bin']) {
    assert.deepEqual(await readFile(join(root, name)), big, name);
  }
  assert.equal(await readFile(join(root, 'notes.txt'), 'utf8'), 'small');
  if (!localStore()) return;

  assert.ok(routes.includes('POST /api/v1/blobs/local'), routes.join(', '));
  assert.ok(!routes.includes(`GET /api/v1/blobs/${sha256}`), 'the bytes did not cross the socket');
  const cached = join(cacheDir, 'blobs', sha256.slice(0, 2), sha256);
  assert.deepEqual(await readFile(cached), big);
  assert.equal((await stat(cached)).mode & 0o777, 0o444);
  const inodes = await Promise.all(
    [cached, join(root, 'model.bin'), join(root, 'same.bin')].map(async (p) => (await stat(p)).ino),
  );
  assert.equal(new Set(inodes).size, 3, 'cache and destinations are separate files');

  // Editing the download touches neither the cache nor the server's copy.
  await appendFile(join(root, 'model.bin'), 'edited');
  routes.length = 0;
  const again = await env.dir();
  await (await cairn.artifact('local-copied:latest')).download({ root: again });
  assert.deepEqual(await readFile(join(again, 'model.bin')), big);
  assert.ok(!routes.includes('POST /api/v1/blobs/local'), 'a warm cache asks for nothing');
});

test('with skipCache the copy goes to the destination alone', async (t) => {
  const { big, sha256 } = await logged('local-skip-cache');
  const { routes, cacheDir, cairn } = await watchedClient(t);
  const root = await env.dir();
  await (await cairn.artifact('local-skip-cache:latest')).download({ root, skipCache: true });
  assert.deepEqual(await readFile(join(root, 'model.bin')), big);
  assert.deepEqual(await readFile(join(root, 'same.bin')), big);
  if (!localStore()) return;
  assert.ok(!routes.includes(`GET /api/v1/blobs/${sha256}`));
  const cached = join(cacheDir, 'blobs', sha256.slice(0, 2), sha256);
  assert.equal(await stat(cached).catch(() => undefined), undefined, 'nothing cached');
});

test('a named file without the blob’s bytes is not placed: the socket brings them', async (t) => {
  const { big, sha256 } = await logged('local-decoy');
  // Same size, other bytes: only the hash can tell.
  const decoy = join(await env.dir(), 'decoy.bin');
  await writeFile(decoy, randomBytes(big.length));
  const { routes, cacheDir, cairn } = await watchedClient(t, {
    rewriteJson: (route, body) =>
      route === 'POST /api/v1/blobs/local'
        ? { items: [{ sha256, size: big.length, path: decoy }] }
        : body,
  });
  const root = await env.dir();
  await (await cairn.artifact('local-decoy:latest')).download({ root });
  assert.deepEqual(await readFile(join(root, 'model.bin')), big);
  assert.deepEqual(
    await readFile(join(cacheDir, 'blobs', sha256.slice(0, 2), sha256)),
    big,
    'the cache holds the real bytes',
  );
  // Over the socket, or from the bucket where the second pass keeps blobs.
  assert.ok(
    routes.includes(`GET /api/v1/blobs/${sha256}`) ||
      routes.includes('POST /api/v1/direct/blobs/locate'),
    routes.join(', '),
  );
});

test('CAIRN_LOCAL_COPY=0 downloads over the socket', async (t) => {
  const { big, sha256 } = await logged('local-off');
  process.env['CAIRN_LOCAL_COPY'] = '0';
  t.after(() => {
    delete process.env['CAIRN_LOCAL_COPY'];
  });
  const { routes, cairn } = await watchedClient(t);
  const root = await env.dir();
  await (await cairn.artifact('local-off:latest')).download({ root });
  assert.deepEqual(await readFile(join(root, 'model.bin')), big);
  assert.ok(!routes.includes('POST /api/v1/blobs/local'));
  if (localStore() || process.env['CAIRN_TEST_S3_DIRECT'] === '0') {
    assert.ok(routes.includes(`GET /api/v1/blobs/${sha256}`), routes.join(', '));
  }
});

/** A directory of small files (each its own bytes), logged; they land in the server's packs. */
async function loggedSmall(name: string, count = 40, size = (i: number) => 100 + i * 37) {
  const dir = await env.dir();
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const bytes = randomBytes(size(i));
    files.set(`f${i}.bin`, bytes);
    await writeFile(join(dir, `f${i}.bin`), bytes);
  }
  const a = new Artifact({ name, type: 'dataset' });
  await a.addDir(dir);
  await (await env.client()).save(a);
  return files;
}

async function assertFiles(root: string, files: Map<string, Buffer>): Promise<void> {
  for (const [name, bytes] of files)
    assert.deepEqual(await readFile(join(root, name)), bytes, name);
}

type LocalItems = { items: { sha256: string; size: number; path: string; offset?: number }[] };

test('small blobs are read from the server’s packs, checked one by one, and cached', async (t) => {
  const files = await loggedSmall('local-packed');
  const answered: LocalItems[] = [];
  const { routes, cacheDir, cairn } = await watchedClient(t, {
    rewriteJson: (route, body) => {
      if (route === 'POST /api/v1/blobs/local') answered.push(body as LocalItems);
      return undefined;
    },
  });
  const root = await env.dir();
  await (await cairn.artifact('local-packed:latest')).download({ root });
  await assertFiles(root, files);
  if (!localStore()) return;

  const items = answered.flatMap((a) => a.items);
  assert.equal(items.length, files.size, 'every small blob was located');
  assert.ok(
    items.every((i) => typeof i.offset === 'number'),
    'as ranges of the server’s packs',
  );
  assert.ok(!routes.includes('POST /api/v1/blobs/batch'), routes.join(', '));
  assert.ok(!routes.some((r) => r.startsWith('GET /api/v1/blobs/')), routes.join(', '));
  const packs = (await readdir(join(cacheDir, 'packs'))).filter((n) => n.endsWith('.pack'));
  assert.equal(packs.length, 1, 'kept in one pack of the cache');

  // What was read is in the cache: another download into a new root asks the server for no blob.
  routes.length = 0;
  const again = await env.dir();
  await (await cairn.artifact('local-packed:latest')).download({ root: again });
  await assertFiles(again, files);
  assert.ok(!routes.some((r) => r.includes('/blobs')), routes.join(', '));
});

test('a small blob whose range holds other bytes, or whose pack is gone, comes over the socket', async (t) => {
  const files = await loggedSmall('local-packed-decoy', 12);
  const { routes, cairn } = await watchedClient(t, {
    rewriteJson: (route, body) => {
      if (route !== 'POST /api/v1/blobs/local') return undefined;
      const { items } = body as LocalItems;
      // The first half points one byte early (inside the pack, other bytes); the others at a
      // pack that does not exist.
      return {
        items: items.map((it, i) =>
          i < items.length / 2
            ? { ...it, offset: Math.max(1, it.offset ?? 0) - 1 }
            : { ...it, path: `${it.path}.missing` },
        ),
      };
    },
  });
  const root = await env.dir();
  await (await cairn.artifact('local-packed-decoy:latest')).download({ root });
  await assertFiles(root, files);
  if (!localStore()) return;
  assert.ok(routes.includes('POST /api/v1/blobs/batch'), routes.join(', '));
});

test('more small blobs than one answer names are located batch by batch', async (t) => {
  const files = await loggedSmall('local-packed-many', LOCAL_BLOBS_MAX_HASHES + 50, () => 16);
  const { routes, cairn } = await watchedClient(t);
  const root = await env.dir();
  await (await cairn.artifact('local-packed-many:latest')).download({ root });
  await assertFiles(root, files);
  if (!localStore()) return;
  assert.equal(routes.filter((r) => r === 'POST /api/v1/blobs/local').length, 2);
  assert.ok(!routes.includes('POST /api/v1/blobs/batch'), routes.join(', '));
});

test('a download that fails midway keeps in the cache what it had read', async (t) => {
  const files = await loggedSmall('local-packed-conflict', 12);
  const { cacheDir, cairn } = await watchedClient(t);
  const root = await env.dir();
  // A directory where the last file (by offset in the pack) should go.
  await mkdir(join(root, 'f11.bin'));
  await assert.rejects(
    (await cairn.artifact('local-packed-conflict:latest')).download({ root }),
    (err: Error & { code?: string }) => err.code === 'CONFLICT' && /f11\.bin/.test(err.message),
  );
  const left = await readdir(join(cacheDir, 'packs'));
  assert.ok(
    left.some((n) => n.endsWith('.pack')),
    `the blobs read before are kept: ${left.join(', ')}`,
  );
  assert.ok(!left.some((n) => n.endsWith('.tmp')), `no pack left half written: ${left.join(', ')}`);
  await rm(join(root, 'f11.bin'), { recursive: true });
  await (await cairn.artifact('local-packed-conflict:latest')).download({ root });
  await assertFiles(root, files);
});
