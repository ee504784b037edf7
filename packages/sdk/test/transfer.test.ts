import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, lstat, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommitRequest } from '@cairn/core';
import { Artifact } from '../src/index.js';
import { hashBytes } from '../src/hashing.js';
import { EARLY_BATCH_FILES, earlyBatchFiles } from '../src/early-upload.js';
import { passThroughProxy, startEnv, writeTree } from './helpers.js';
import type { TestEnv } from './helpers.js';

let env: TestEnv;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env.close();
});

/** A pass-through proxy in front of the test server that remembers each request's method and path. */
async function countingProxy(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const proxy = await passThroughProxy(env.url, { onRequest: (route) => seen.push(route) });
  return { ...proxy, seen };
}

test('an unchanged re-log opens no upload session; a new alias still reaches the server', async (t) => {
  const proxy = await countingProxy();
  t.after(() => proxy.close());
  const cairn = await env.client({ url: proxy.url });
  const src = await env.dir();
  await writeTree(src, { 'a.txt': 'one', 'd/b.txt': 'two' });
  const first = new Artifact({ name: 'relog', type: 'dataset' });
  await first.addDir(src);
  await cairn.save(first);
  const again = new Artifact({ name: 'relog', type: 'dataset' });
  await again.addDir(src);
  await cairn.save(again);
  assert.equal(again.created, false);
  assert.equal(again.id, first.id);
  assert.equal(proxy.seen.filter((r) => r === 'POST /api/v1/uploads').length, 1);
  assert.deepEqual(again.lastUpload, { missing: 0, bytesSent: 0, packs: 0, largeBlobs: 0 });
  // Same content with an alias latest lacks: goes through the commit, which adds it.
  const tagged = new Artifact({ name: 'relog', type: 'dataset' });
  await tagged.addDir(src);
  await cairn.save(tagged, { aliases: ['best'], tags: ['gold'] });
  assert.equal(tagged.created, false);
  assert.ok(tagged.aliases.includes('best'));
  assert.ok(tagged.tags.includes('gold'));
  const resolved = await cairn.artifact('relog:best');
  assert.equal(resolved.id, first.id);
  // Same digest under another type is not "unchanged": the server's type check answers.
  const other = new Artifact({ name: 'relog', type: 'model' });
  await other.addDir(src);
  await assert.rejects(cairn.save(other), { code: 'CONFLICT' });
});

test('a download replaces what is in the way (a file, a symlink at the leaf) without writing through it', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  await writeTree(src, { 'x.txt': 'new x', 'y.txt': 'new y', 'sub/z.txt': 'new z' });
  const a = new Artifact({ name: 'replace', type: 'dataset' });
  await a.addDir(src);
  await cairn.save(a);
  const root = await env.dir();
  const outside = join(await env.dir(), 'precious.txt');
  await writeFile(outside, 'keep me');
  await writeTree(root, { 'x.txt': 'old x, longer than the new one' });
  await symlink(outside, join(root, 'y.txt'));
  await a.download({ root });
  assert.equal(await readFile(join(root, 'x.txt'), 'utf8'), 'new x');
  assert.equal(await readFile(join(root, 'y.txt'), 'utf8'), 'new y');
  assert.equal((await lstat(join(root, 'y.txt'))).isSymbolicLink(), false);
  assert.equal(await readFile(outside, 'utf8'), 'keep me');
  assert.equal((await stat(join(root, 'sub/z.txt'))).mode & 0o777, 0o644);
  // A warm download (from the cache) into a fresh root, then a download over itself.
  const reader = await env.client({ cacheDir: cairn.context.cacheDir });
  const again = await reader.artifact('replace:latest');
  const warm = await again.download({ root: await env.dir() });
  assert.equal(again.lastDownload?.fetched, 0);
  assert.equal(await readFile(join(warm, 'sub/z.txt'), 'utf8'), 'new z');
  await again.download({ root: warm });
  await again.verify(warm);
});

test('a cache entry of the wrong size (a writer killed midway) is refetched and replaced', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  const bytes = Buffer.from('the whole blob, not a prefix of it');
  await writeTree(src, { 'f.bin': bytes });
  const a = new Artifact({ name: 'torn', type: 'dataset' });
  await a.addDir(src);
  await cairn.save(a);
  const reader = await env.client();
  const cache = reader.context.cache;
  const sha = hashBytes(bytes).sha256;
  await writeTree(join(cache.dir, sha.slice(0, 2)), { [sha]: bytes.subarray(0, 5) });
  const v = await reader.artifact('torn:latest');
  const root = await v.download({ root: await env.dir() });
  assert.equal(v.lastDownload?.fetched, 1);
  assert.deepEqual(await readFile(join(root, 'f.bin')), bytes);
  assert.deepEqual(cache.readSmallSync([{ sha256: sha, size: bytes.length }]).get(sha), bytes);
  const again = await reader.artifact('torn:latest');
  await again.download({ root: await env.dir() });
  assert.equal(again.lastDownload?.fetched, 0);
});

test('small blobs are cached in a few pack files; a torn pack is dropped and refetched', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`d${i % 3}/f${i}.txt`] = `file number ${i}\n`.repeat(i % 7);
  await writeTree(src, files);
  const a = new Artifact({ name: 'packed', type: 'dataset' });
  await a.addDir(src);
  await cairn.save(a);
  const reader = await env.client();
  const cache = reader.context.cache;
  const v = await reader.artifact('packed:latest');
  const cold = await v.download({ root: await env.dir() });
  await v.verify(cold);
  const packs = (await readdir(cache.packs.dir)).filter((n) => n.endsWith('.pack'));
  assert.equal(packs.length, 1, 'one download, one pack');
  assert.deepEqual(await readdir(cache.dir).catch(() => []), [], 'no file per small blob');
  // A crash can leave a renamed pack with other bytes in it: every read is checked.
  const packPath = join(cache.packs.dir, packs[0] as string);
  const torn = await readFile(packPath);
  torn.fill(0, 0, Math.min(torn.length, 200));
  await chmod(packPath, 0o644);
  await writeFile(packPath, torn);
  const fresh = await env.client({ cacheDir: reader.context.cacheDir });
  const w = await fresh.artifact('packed:latest');
  const warm = await w.download({ root: await env.dir() });
  await w.verify(warm);
  assert.ok((w.lastDownload?.fetched ?? 0) > 0, 'the blobs of the torn pack were fetched again');
  assert.ok(!(await readdir(cache.packs.dir)).includes(packs[0] as string), 'torn pack dropped');
  const third = await (
    await env.client({ cacheDir: reader.context.cacheDir })
  ).artifact('packed:latest');
  await third.download({ root: await env.dir() });
  assert.equal(third.lastDownload?.fetched, 0);
});

test('a version fetched once is downloaded again without asking for its manifest', async () => {
  const proxy = await countingProxy();
  try {
    const writer = await env.client();
    const src = await env.dir();
    await writeTree(src, { 'a.txt': 'a', 'b/c.txt': 'c' });
    const a = new Artifact({ name: 'manifest-cached', type: 'dataset' });
    await a.addDir(src);
    await writer.save(a);
    const cacheDir = await env.dir();
    const manifestGets = (): number =>
      proxy.seen.filter((r) => r.startsWith('GET /api/v1/versions/') && r.endsWith('/manifest'))
        .length;
    const first = await (
      await env.client({ url: proxy.url, cacheDir })
    ).artifact('manifest-cached');
    await first.verify(await first.download({ root: await env.dir() }));
    assert.equal(manifestGets(), 1);
    const second = await (
      await env.client({ url: proxy.url, cacheDir })
    ).artifact('manifest-cached');
    const root = await second.download({ root: await env.dir() });
    await second.verify(root);
    assert.equal(manifestGets(), 1, 'the cached manifest served the second download');
    assert.equal(second.lastDownload?.fetched, 0);
    // A cache file that is not a manifest is ignored: fetched again.
    for (const n of await readdir(join(cacheDir, 'manifests')))
      await writeFile(join(cacheDir, 'manifests', n), '{"not": "entries"}');
    const third = await (
      await env.client({ url: proxy.url, cacheDir })
    ).artifact('manifest-cached');
    await third.verify(await third.download({ root: await env.dir() }));
    assert.equal(manifestGets(), 2);

    // The cached file is sealed by the SHA-256 of its entries: one byte changed is a miss too.
    const [name] = await readdir(join(cacheDir, 'manifests'));
    const file = join(cacheDir, 'manifests', name as string);
    const sealed = await readFile(file, 'utf8');
    assert.match(sealed, /^cairn-manifest-v2 sha256=[0-9a-f]{64}\n\[/);
    await writeFile(file, sealed.replace('"a.txt"', '"A.txt"'));
    const fourth = await (
      await env.client({ url: proxy.url, cacheDir })
    ).artifact('manifest-cached');
    const root4 = await fourth.download({ root: await env.dir() });
    await fourth.verify(root4);
    assert.equal(manifestGets(), 3, 'a file whose seal fails is fetched again');
    assert.deepEqual((await readdir(root4)).sort(), ['a.txt', 'b']);

    // Even a sealed file naming a path out of the root writes nothing outside it.
    const outside = await env.dir();
    const root5 = join(outside, 'root');
    const entries = JSON.parse(sealed.slice(sealed.indexOf('\n') + 1)) as { path: string }[];
    (entries[0] as { path: string }).path = '../escaped.txt';
    const json = JSON.stringify(entries);
    const seal = createHash('sha256').update(json).digest('hex');
    await writeFile(file, `cairn-manifest-v2 sha256=${seal}\n${json}`);
    const fifth = await (
      await env.client({ url: proxy.url, cacheDir })
    ).artifact('manifest-cached');
    await assert.rejects(fifth.download({ root: root5 }), { code: 'PATH_ESCAPE' });
    assert.deepEqual(await readdir(outside), ['root']);
  } finally {
    await proxy.close();
  }
});

test('a large draft sends full batches of small files while hashing the rest; their sessions end with the log', async () => {
  const released: string[] = [];
  const seen: string[] = [];
  const proxy = await passThroughProxy(env.url, {
    onRequest: (route) => seen.push(route),
    onJsonBody: (route, body) => {
      if (route.endsWith('/commit')) {
        released.push(...((JSON.parse(body) as CommitRequest).releaseUploads ?? []));
      }
    },
  });
  try {
    const cairn = await env.client({ url: proxy.url });
    const src = await env.dir();
    const files: Record<string, string> = {};
    const n = 2 * EARLY_BATCH_FILES + 500;
    for (let i = 0; i < n; i++) files[`d${i % 7}/f${i}.txt`] = `early ${i}`;
    await writeTree(src, files);
    const a = new Artifact({ name: 'early', type: 'dataset' });
    await a.addDir(src);
    await cairn.save(a);
    assert.equal(a.created, true);
    assert.equal(a.lastUpload?.missing, n, 'every blob sent once');
    const count = (what: string): number => seen.filter((r) => r.startsWith(what)).length;
    // Batches of 250, 500, 1000 and 2000 files go early; the last 750 with the commit's session.
    let batches = 0;
    for (let left = n; left >= earlyBatchFiles(batches); batches++)
      left -= earlyBatchFiles(batches);
    assert.equal(batches, 4);
    assert.equal(
      count('POST /api/v1/uploads'),
      batches + 2,
      'the early sessions, the commit, its session',
    );
    // The commit abandons the early sessions itself: no request of their own, and they are gone.
    assert.equal(count('DELETE /api/v1/uploads/'), 0);
    assert.equal(released.length, batches);
    for (const id of released) {
      const gone = await fetch(`${env.url}/api/v1/uploads/${id}`, { method: 'DELETE' });
      assert.equal(gone.status, 404, `session ${id} was abandoned by the commit`);
    }
    const reader = await env.client();
    const v = await reader.artifact('early:latest');
    await v.verify(await v.download({ root: await env.dir() }));
  } finally {
    await proxy.close();
  }
});
