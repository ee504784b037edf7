import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobCache } from '../src/cache.js';
import { copyNewFile } from '../src/file-copy.js';
import { PARALLEL_HASH_BYTES, hashBytes, hashFile } from '../src/hashing.js';
import { safeDestination, safeDestinationSync, realRoot } from '../src/safe-path.js';
import { StatCache, statFile } from '../src/stat-cache.js';
import { tempDir } from './fs-helpers.js';

test('hashFile computes base64 MD5 and hex SHA-256 in one pass, equal to hashBytes', async () => {
  const dir = await tempDir();
  const bytes = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  await writeFile(join(dir, 'f'), bytes);
  const h = await hashFile(join(dir, 'f'));
  assert.deepEqual(h, hashBytes(bytes));
  assert.equal(h.md5, createHash('md5').update(bytes).digest('base64'));
  assert.equal(h.sha256, createHash('sha256').update(bytes).digest('hex'));
  await rm(dir, { recursive: true });
});

test('stat cache remembers hashes of settled files, forgets on change, persists, skips racy ones', async () => {
  const dir = await tempDir();
  const f = join(dir, 'a.txt');
  await writeFile(f, 'hello');
  const h = hashBytes(Buffer.from('hello'));
  const cache = new StatCache(dir);
  // Just written: racy, so not remembered.
  await cache.set(f, await statFile(f), h, Date.now());
  assert.equal(await cache.get(f, await statFile(f)), undefined);
  await new Promise((r) => setTimeout(r, 150));
  await cache.set(f, await statFile(f), h, Date.now());
  assert.deepEqual(await cache.get(f, await statFile(f)), h);
  await cache.save();
  const reloaded = new StatCache(dir);
  assert.deepEqual(await reloaded.get(f, await statFile(f)), h);
  await writeFile(f, 'jello');
  assert.equal(await reloaded.get(f, await statFile(f)), undefined);
  await rm(dir, { recursive: true });
});

test('stat cache lines: a path holding | round-trips, a torn or garbled line is ignored', async () => {
  const dir = await tempDir();
  const f = join(dir, 'a|b|1|2.txt');
  await writeFile(f, 'pipes');
  await new Promise((r) => setTimeout(r, 150));
  const h = hashBytes(Buffer.from('pipes'));
  const cache = new StatCache(dir);
  cache.record(f, await statFile(f), h, Date.now());
  await cache.save();
  const file = join(dir, 'stat-cache-v2.tsv');
  const good = (await readFile(file, 'utf8')).trim();
  await writeFile(
    file,
    ['garbage', `${join(dir, 'x')}|1|2|nope|4|5\tmd5\tsha`, good, good.slice(0, 20)].join('\n'),
  );
  const reloaded = new StatCache(dir);
  assert.deepEqual(reloaded.lookup(f, await statFile(f)), h);
  assert.equal(reloaded.lookup(join(dir, 'x'), await statFile(f)), undefined);
  await rm(dir, { recursive: true });
});

test('blob cache checks SHA-256, stores read-only, evicts least recently used past its cap', async () => {
  const dir = await tempDir();
  const cache = new BlobCache(dir, 250);
  const blobs = ['a', 'b', 'c'].map((ch) => Buffer.alloc(100, ch));
  const shas = blobs.map((b) => hashBytes(b).sha256);
  for (let i = 0; i < 3; i++) {
    const w = await cache.writer(shas[i] as string);
    await w.write(blobs[i] as Buffer);
    await w.commit();
    // Minutes old: use times fresher than USE_TIME_GRAIN_MS are not refreshed.
    const old = new Date(Date.now() - (10 - i) * 60_000);
    await utimes(cache.pathOf(shas[i] as string), old, old);
  }
  assert.equal((await stat(cache.pathOf(shas[0] as string))).mode & 0o777, 0o444);
  // Using 'a' makes 'b' the least recently used.
  assert.ok(await cache.lookup(shas[0] as string, 100));
  const r = await cache.evict();
  assert.equal(r.removed, 1);
  assert.equal(await cache.lookup(shas[1] as string, 100), undefined);
  assert.ok(await cache.lookup(shas[0] as string, 100));
  assert.ok(await cache.lookup(shas[2] as string, 100));
  // A writer fed the wrong bytes leaves nothing behind.
  const w = await cache.writer(shas[1] as string);
  await w.write(Buffer.from('not b'));
  await assert.rejects(w.commit(), { code: 'DIGEST_MISMATCH' });
  const names = await readdir(join(cache.dir, (shas[1] as string).slice(0, 2)));
  assert.deepEqual(
    names.filter((n) => n.startsWith(shas[1] as string)),
    [],
  );
  await rm(dir, { recursive: true, force: true });
});

test('readSmallSync finds packed and loose small blobs alike; a blob in neither is a miss', async () => {
  const cache = new BlobCache(await tempDir());
  const [packed, loose, absent] = ['p', 'l', 'a'].map((ch) => Buffer.alloc(64, ch));
  const [ps, ls, as] = [packed, loose, absent].map((b) => hashBytes(b as Buffer).sha256) as [
    string,
    string,
    string,
  ];
  // Nothing cached yet: no shard directory, and every lookup a miss.
  assert.equal(cache.readSmallSync([{ sha256: ls, size: 64 }]).size, 0);
  const w = cache.packWriter();
  w.addSync(ps, packed as Buffer);
  w.finishSync();
  cache.putBytesSync(ls, loose as Buffer);
  const found = cache.readSmallSync([ps, ls, as].map((sha256) => ({ sha256, size: 64 })));
  assert.deepEqual(found.get(ps), packed);
  assert.deepEqual(found.get(ls), loose);
  assert.equal(found.has(as), false);
  // A loose blob whose size is not the one asked for is a miss (a torn write).
  assert.equal(cache.readSmallSync([{ sha256: ls, size: 65 }]).size, 0);
});

test('a pack that vanished or ends early is a miss for each of its blobs, and is dropped', async () => {
  const cache = new BlobCache(await tempDir());
  const blobs = ['a', 'b', 'c'].map((ch) => Buffer.alloc(100, ch));
  const shas = blobs.map((b) => hashBytes(b).sha256);
  const w = cache.packWriter();
  blobs.forEach((b, i) => w.addSync(shas[i] as string, b));
  w.finishSync();
  const wanted = shas.map((sha256) => ({ sha256, size: 100 }));
  const [pack] = (await readdir(cache.packs.dir)).filter((n) => n.endsWith('.pack'));
  // Cut after the first blob: it is read and checked, the others are misses.
  await writeFile(join(cache.packs.dir, pack as string), blobs[0] as Buffer);
  const found = cache.readSmallSync(wanted);
  assert.deepEqual([...found.keys()], [], 'a pack found short is no longer trusted for any blob');
  assert.deepEqual(await readdir(cache.packs.dir), [], 'pack and index dropped');
  // A pack removed under its index (another process evicting it) is a miss too.
  const w2 = cache.packWriter();
  blobs.forEach((b, i) => w2.addSync(shas[i] as string, b));
  w2.finishSync();
  const [pack2] = (await readdir(cache.packs.dir)).filter((n) => n.endsWith('.pack'));
  await rm(join(cache.packs.dir, pack2 as string));
  assert.equal(cache.readSmallSync(wanted).size, 0);
  assert.deepEqual(await readdir(cache.packs.dir), []);
});

test('safeDestination refuses ../x, /etc/x and symlinks leading out of the root', async () => {
  const base = await tempDir();
  const root = await realRoot(join(base, 'root'));
  const outside = join(base, 'outside');
  await mkdir(outside);
  await symlink(outside, join(root, 'link'));
  await mkdir(join(root, 'inner'));
  await symlink(join(root, 'inner'), join(root, 'inside-link'));
  await assert.rejects(safeDestination(root, '../x'), { code: 'PATH_ESCAPE' });
  await assert.rejects(safeDestination(root, '/etc/x'), { code: 'PATH_ESCAPE' });
  await assert.rejects(safeDestination(root, 'link/x'), { code: 'PATH_ESCAPE' });
  assert.equal(await safeDestination(root, 'inside-link/x'), join(root, 'inside-link', 'x'));
  assert.equal(await safeDestination(root, 'a/b/c.txt'), join(root, 'a', 'b', 'c.txt'));
  // The synchronous twin used by downloads answers the same.
  const made = new Set<string>();
  for (const bad of ['../x', '/etc/x', 'link/x', 'a/../../x']) {
    assert.throws(() => safeDestinationSync(root, bad, made), { code: 'PATH_ESCAPE' });
  }
  assert.equal(safeDestinationSync(root, 'inside-link/y', made), join(root, 'inside-link', 'y'));
  assert.equal(safeDestinationSync(root, 'a/b2/c.txt', made), join(root, 'a', 'b2', 'c.txt'));
  assert.equal(safeDestinationSync(root, 'top.txt', made), join(root, 'top.txt'));
  assert.deepEqual(await readdir(outside), []);
  await rm(base, { recursive: true, force: true });
});

test('a large file hashes the same with MD5 on the worker thread as in one thread', async () => {
  const dir = await tempDir();
  const path = join(dir, 'big.bin');
  const bytes = Buffer.alloc(PARALLEL_HASH_BYTES + 12345);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) % 251;
  await writeFile(path, bytes);
  const expected = hashBytes(bytes);
  // Two at once share the worker, each stream by its own id.
  const [a, b] = await Promise.all([hashFile(path, bytes.length), hashFile(path, bytes.length)]);
  assert.deepEqual(a, expected);
  assert.deepEqual(b, expected);
  assert.deepEqual(await hashFile(path), expected);
  await rm(dir, { recursive: true });
});

test('cache packs: a killed writer’s leftovers go once old; packs are evicted whole', async () => {
  const dir = await tempDir();
  const cache = new BlobCache(dir, 150);
  const blobs = ['x', 'y'].map((ch) => Buffer.alloc(100, ch));
  const shas = blobs.map((b) => hashBytes(b).sha256);
  for (let i = 0; i < 2; i++) {
    const w = cache.packWriter();
    w.addSync(shas[i] as string, blobs[i] as Buffer);
    w.finishSync();
  }
  assert.throws(() => cache.packWriter().addSync(shas[0] as string, Buffer.from('lie')), {
    code: 'DIGEST_MISMATCH',
  });
  const found = cache.readSmallSync(shas.map((s) => ({ sha256: s, size: 100 })));
  assert.deepEqual([...found.keys()].sort(), [...shas].sort());
  const old = new Date(Date.now() - 2 * 3600_000);
  for (const name of ['.dead.pack.tmp', 'dead.pack', 'fresh.pack']) {
    await writeFile(join(cache.packs.dir, name), 'partial');
    if (name !== 'fresh.pack') await utimes(join(cache.packs.dir, name), old, old);
  }
  const packs = (await readdir(cache.packs.dir)).filter((n) => n.endsWith('.idx'));
  await utimes(join(cache.packs.dir, (packs[0] as string).replace('.idx', '.pack')), old, old);
  const r = await cache.evict();
  assert.equal(r.removed, 1, 'the older pack went whole');
  const left = await readdir(cache.packs.dir);
  assert.ok(!left.includes('dead.pack') && !left.includes('.dead.pack.tmp'));
  assert.ok(left.includes('fresh.pack'), 'a writer possibly at work is left alone');
  assert.equal(left.filter((n) => n.endsWith('.idx')).length, 1);
  await rm(dir, { recursive: true });
});

test('copyNewFile copies every byte into a new file and never over an existing one', async () => {
  const dir = await tempDir();
  const bytes = randomBytes((8 << 20) * 2 + 12345);
  await writeFile(join(dir, 'src'), bytes, { mode: 0o444 });
  await copyNewFile(join(dir, 'src'), join(dir, 'dest'), 0o600);
  assert.ok((await readFile(join(dir, 'dest'))).equals(bytes));
  assert.equal((await stat(join(dir, 'dest'))).mode & 0o777, 0o600, 'the mode asked for');
  await copyNewFile(join(dir, 'src'), join(dir, 'empty-src-copy'), 0o600);
  await writeFile(join(dir, 'empty'), '');
  await copyNewFile(join(dir, 'empty'), join(dir, 'empty-copy'), 0o600);
  assert.equal((await stat(join(dir, 'empty-copy'))).size, 0);
  await writeFile(join(dir, 'taken'), 'keep me');
  await assert.rejects(copyNewFile(join(dir, 'src'), join(dir, 'taken'), 0o600), {
    code: 'EEXIST',
  });
  assert.equal(await readFile(join(dir, 'taken'), 'utf8'), 'keep me');
  await rm(dir, { recursive: true });
});
