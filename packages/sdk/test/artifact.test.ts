import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import {
  mkdir,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Artifact, Cairn } from '../src/index.js';
import type { CairnError } from '../src/index.js';
import { listTree } from '../src/local-tree.js';
import { startEnv, writeTree } from './helpers.js';
import type { TestEnv } from './helpers.js';

// These tests pin the hash-first path for large files (hash, ask, send what is missing);
// streamed-upload.test.ts covers streaming them to a server on this machine while hashing.
process.env['CAIRN_STREAM_LARGE'] = '0';
let env: TestEnv;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env.close();
});

const TREE = {
  'a.txt': 'alpha',
  'sub/b.bin': Buffer.from([0, 1, 2, 255]),
  'sub/deep/c.txt': 'gamma\n',
  'empty.txt': '',
  'big.bin': Buffer.alloc(2 * 1024 * 1024 + 3, 9),
};

test('a directory round-trips byte for byte, with every property of a logged artifact', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  await writeTree(src, TREE);
  const a = new Artifact({ name: 'ds', type: 'dataset', description: 'd1', metadata: { k: 1 } });
  assert.equal(a.isDraft(), true);
  assert.equal(a.state, 'PENDING');
  assert.throws(() => a.version, { code: 'ARTIFACT_NOT_LOGGED' });
  const added = await a.addDir(src);
  assert.equal(added.length, 5);
  assert.equal(a.fileCount, 5);
  assert.equal(a.getAddedLocalPathName(join(src, 'sub/b.bin')), 'sub/b.bin');
  const draftDigest = await a.digest();
  assert.match(draftDigest, /^[0-9a-f]{32}$/);
  assert.equal((await a.getEntry('a.txt')).size, 5);

  await cairn.save(a, { aliases: ['best'], tags: ['raw data'] });
  await a.wait();
  assert.equal(a.isDraft(), false);
  assert.equal(a.created, true);
  assert.equal(a.version, 'v0');
  assert.equal(a.name, 'ds:v0');
  assert.equal(a.qualifiedName, 'tester/proj/ds:v0');
  assert.equal(a.entity, 'tester');
  assert.equal(a.project, 'proj');
  assert.equal(a.state, 'COMMITTED');
  assert.equal(await a.digest(), draftDigest);
  assert.equal(a.size, 5 + 4 + 6 + 0 + 2 * 1024 * 1024 + 3);
  assert.ok(a.aliases.includes('best'));
  assert.deepEqual(a.tags, ['raw data']);
  assert.match(a.id ?? '', /^[0-9a-f]{32}$/);
  assert.ok(a.commitHash.length > 0);
  assert.ok(Date.parse(a.createdAt) > 0 && Date.parse(a.updatedAt) > 0);
  assert.ok(a.url.startsWith(env.url));
  assert.equal(a.lastUpload?.missing, 5);
  assert.equal(a.lastUpload?.largeBlobs, 1);
  const wandb = (await a.manifest()).toWandbManifest();
  assert.equal(wandb.storagePolicy, 'wandb-storage-policy-v1');
  assert.deepEqual(Object.keys(wandb.contents).sort(), Object.keys(TREE).sort());
  assert.equal(a.jsonEncode()['id'], a.id);

  // Content of a logged artifact is read-only.
  await assert.rejects(a.addFile(join(src, 'a.txt'), { name: 'x' }), {
    code: 'ARTIFACT_FINALIZED',
  });
  assert.throws(() => a.remove('a.txt'), { code: 'ARTIFACT_FINALIZED' });

  const fetched = await cairn.artifact('tester/proj/ds:best');
  assert.equal(fetched.id, a.id);
  const root = join(await env.dir(), 'out');
  const got = await fetched.download({ root });
  assert.deepEqual(await listTree(got), Object.keys(TREE).sort());
  for (const [rel, content] of Object.entries(TREE)) {
    assert.deepEqual(await readFile(join(got, rel)), Buffer.from(content));
  }
  await fetched.verify(got);
  assert.equal(fetched.lastDownload?.fetched, 5);

  // Partial download and skipCache.
  const partial = await fetched.download({
    root: join(await env.dir(), 'p'),
    pathPrefix: 'sub',
    skipCache: true,
  });
  assert.deepEqual(await listTree(partial), ['sub/b.bin', 'sub/deep/c.txt']);
});

test('metadata, aliases and tags of a logged artifact are editable and persisted by save()', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  await writeTree(src, { 'm.txt': 'model' });
  const a = new Artifact({ name: 'edit', type: 'model' });
  await a.addFile(join(src, 'm.txt'));
  await a.save({ client: cairn });
  a.description = 'changed';
  a.metadata = { acc: 0.9 };
  a.aliases.push('prod');
  a.tags.push('good');
  await a.save();
  const again = await cairn.artifact('proj/edit:prod');
  assert.equal(again.description, 'changed');
  assert.deepEqual(again.metadata, { acc: 0.9 });
  assert.deepEqual(again.tags, ['good']);
  assert.ok(again.aliases.includes('prod'));
  assert.ok(again.updatedAt >= a.createdAt);
  assert.throws(
    () => {
      a.metadata = { bad: Number.NaN };
    },
    { code: 'VALIDATION' },
  );
});

test('small files edited, replaced or removed between addDir and save: the bytes at save are logged', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  await writeTree(src, {
    'grown.txt': 'short',
    'same-size.txt': 'AAAA',
    'replaced.txt': 'old inode',
    'kept.txt': 'kept',
  });
  const a = new Artifact({ name: 'edited-after-add', type: 'dataset' });
  await a.addDir(src);
  await writeFile(join(src, 'grown.txt'), 'longer than before');
  // Same size and, put back, the same mtime: only the ctime tells.
  const { mtime } = await stat(join(src, 'same-size.txt'));
  await writeFile(join(src, 'same-size.txt'), 'BBBB');
  await utimes(join(src, 'same-size.txt'), mtime, mtime);
  await writeFile(join(src, 'replaced.next'), 'new inode');
  await rename(join(src, 'replaced.next'), join(src, 'replaced.txt'));
  await cairn.save(a);
  const root = await (
    await cairn.artifact('edited-after-add:latest')
  ).download({
    root: await env.dir(),
  });
  assert.equal(await readFile(join(root, 'grown.txt'), 'utf8'), 'longer than before');
  assert.equal(await readFile(join(root, 'same-size.txt'), 'utf8'), 'BBBB');
  assert.equal(await readFile(join(root, 'replaced.txt'), 'utf8'), 'new inode');
  assert.equal(await readFile(join(root, 'kept.txt'), 'utf8'), 'kept');

  const gone = new Artifact({ name: 'edited-after-add', type: 'dataset' });
  await gone.addDir(src);
  await rm(join(src, 'kept.txt'));
  await assert.rejects(cairn.save(gone), /kept\.txt/);
});

test('unchanged re-log creates no version and uploads nothing; same bytes elsewhere are deduped', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  await writeTree(src, {
    'x/1.txt': 'one',
    'x/2.txt': 'two',
    'y.bin': Buffer.alloc(1500 * 1024, 3),
  });
  const first = new Artifact({ name: 'same', type: 'dataset' });
  await first.addDir(src);
  await cairn.save(first);
  assert.equal(first.lastUpload?.missing, 3);
  const second = new Artifact({ name: 'same', type: 'dataset' });
  await second.addDir(src);
  await cairn.save(second);
  assert.equal(second.created, false);
  assert.equal(second.version, 'v0');
  assert.equal(second.id, first.id);
  assert.equal(second.lastUpload?.missing, 0);
  const other = new Artifact({ name: 'copy', type: 'dataset' });
  await other.addDir(src, { name: 'nested' });
  await cairn.save(other);
  assert.equal(other.created, true);
  assert.equal(other.lastUpload?.missing, 0);
  // A real change makes v1 and sends only the changed file.
  await writeFile(join(src, 'x/2.txt'), 'TWO');
  const third = new Artifact({ name: 'same', type: 'dataset' });
  await third.addDir(src);
  await cairn.save(third);
  assert.equal(third.created, true);
  assert.equal(third.version, 'v1');
  assert.equal(third.lastUpload?.missing, 1);
  assert.equal(third.lastUpload?.bytesSent, 3);
  const versions = await cairn.versions('proj/same');
  assert.deepEqual(versions.map((v) => v.index).sort(), [0, 1]);
});

test('draft editing: addFile overwrite, newFile, remove of files and directories, getEntry errors', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  await writeTree(src, { 'a.txt': 'A', 'b.txt': 'B', 'd/1': '1', 'd/2': '2' });
  const a = new Artifact({ name: 'drafty', type: 'dataset' });
  await a.addFile(join(src, 'a.txt'), { name: 'f.txt' });
  await assert.rejects(a.addFile(join(src, 'b.txt'), { name: 'f.txt' }), { code: 'CONFLICT' });
  await a.addFile(join(src, 'b.txt'), { name: 'f.txt', overwrite: true });
  await assert.rejects(a.addFile(join(src, 'a.txt'), { name: '../x' }), { code: 'PATH_ESCAPE' });
  await assert.rejects(a.addFile(join(src, 'a.txt'), { name: '/etc/x' }), { code: 'PATH_ESCAPE' });
  await a.addDir(join(src, 'd'), { name: 'dir' });
  await assert.rejects(a.addDir(join(src, 'd'), { name: 'dir2/../../x' }), { code: 'PATH_ESCAPE' });
  const h = await a.newFile('notes/readme.md');
  await h.write('# hi\n');
  await h.write(Buffer.from('more\n'));
  await h.close();
  assert.equal(a.fileCount, 4);
  a.remove('dir');
  assert.equal(a.fileCount, 2);
  assert.throws(() => a.remove('nope'), { code: 'NOT_FOUND' });
  a.remove(await a.getEntry('f.txt'));
  await assert.rejects(a.getEntry('f.txt'), { code: 'NOT_FOUND' });
  a.finalize();
  await assert.rejects(a.addFile(join(src, 'a.txt')), { code: 'ARTIFACT_FINALIZED' });
  await cairn.save(a);
  const root = await a.download({ root: join(await env.dir(), 'r') });
  assert.equal(await readFile(join(root, 'notes/readme.md'), 'utf8'), '# hi\nmore\n');
  assert.deepEqual(await listTree(root), ['notes/readme.md']);
  assert.equal(
    await readFile(await a.file(join(await env.dir(), 'single')), 'utf8'),
    '# hi\nmore\n',
  );
});

test('staged copies (newFile, policy mutable) are kept through a failed log and removed once logged', async () => {
  const src = await env.dir();
  await writeTree(src, { 'w.bin': 'weights' });
  const a = new Artifact({ name: 'staged', type: 'model' });
  await a.addFile(join(src, 'w.bin'), { policy: 'mutable' });
  const h = await a.newFile('notes.txt');
  await h.write('n');
  await h.close();
  const staging = dirname(dirname(h.path));
  assert.ok(basename(staging).startsWith('cairn-staging-'), staging);
  assert.equal((await readdir(staging)).length, 2, 'the mutable copy and the new file');
  // Nothing listens here: the log fails, and the staged bytes stay for the retry.
  const nowhere = new Cairn({ url: 'http://127.0.0.1:9', entity: 'tester', project: 'proj' });
  await assert.rejects(nowhere.save(a), { code: 'UNAVAILABLE' });
  assert.equal(await readFile(h.path, 'utf8'), 'n');
  await (await env.client()).save(a);
  assert.equal(await stat(staging).catch(() => undefined), undefined, 'the staging dir is gone');
  const root = await a.download({ root: join(await env.dir(), 'staged') });
  assert.equal(await readFile(join(root, 'w.bin'), 'utf8'), 'weights');
  assert.equal(await readFile(join(root, 'notes.txt'), 'utf8'), 'n');

  // Copies of files with one name, one of them removed in between, each keep their own bytes.
  await writeTree(src, { 'p/w.bin': 'P', 'q/w.bin': 'Q', 'r/w.bin': 'R' });
  const b = new Artifact({ name: 'staged-names', type: 'model' });
  await b.addFile(join(src, 'p/w.bin'), { name: 'A', policy: 'mutable' });
  await b.addFile(join(src, 'q/w.bin'), { name: 'B', policy: 'mutable' });
  b.remove('A');
  await b.addFile(join(src, 'r/w.bin'), { name: 'C', policy: 'mutable' });
  await (await env.client()).save(b);
  const root2 = await b.download({ root: join(await env.dir(), 'names') });
  assert.equal(await readFile(join(root2, 'B'), 'utf8'), 'Q');
  assert.equal(await readFile(join(root2, 'C'), 'utf8'), 'R');
});

test('verify reports missing, changed and extra files; checkout removes extras', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  await writeTree(src, { 'keep.txt': 'k', 'change.txt': 'c', 'lose.txt': 'l', 'd/e.txt': 'e' });
  const a = new Artifact({ name: 'verified', type: 'dataset' });
  await a.addDir(src);
  await cairn.save(a);
  const root = await a.download({ root: join(await env.dir(), 'v') });
  await a.verify(root);
  await rm(join(root, 'lose.txt'));
  await writeFile(join(root, 'change.txt'), 'C');
  await writeTree(root, { 'extra.txt': 'x', 'd/more/extra2.txt': 'y' });
  await assert.rejects(a.verify(root), (err: CairnError) => {
    assert.equal(err.code, 'VERIFY_FAILED');
    assert.deepEqual(err.details, {
      missing: ['lose.txt'],
      changed: ['change.txt'],
      extra: ['d/more/extra2.txt', 'extra.txt'],
    });
    return true;
  });
  await a.checkout(root);
  await a.verify(root);
  assert.deepEqual(await readdir(join(root, 'd')), ['e.txt']);
});

test('editing a downloaded file never changes the cache', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  await writeTree(src, { 'w.txt': 'original' });
  const a = new Artifact({ name: 'cachesafe', type: 'dataset' });
  await a.addDir(src);
  await cairn.save(a);
  const root = await a.download({ root: join(await env.dir(), 'c') });
  await writeFile(join(root, 'w.txt'), 'EDITED!!');
  const sha = (await a.getEntry('w.txt')).sha256 as string;
  const cache = cairn.context.cache;
  const cached = cache.readSmallSync([{ sha256: sha, size: 8 }]).get(sha);
  assert.equal(cached?.toString('utf8'), 'original');
  // Small blobs live in a read-only pack file, never the inode of a downloaded file.
  const pack = (await cache.lookup(sha, 8)) as string;
  assert.equal((await stat(pack)).mode & 0o777, 0o444);
  assert.notEqual((await stat(pack)).ino, (await stat(join(root, 'w.txt'))).ino);
  // A warm download fetches nothing and restores the original bytes.
  const again = await a.download({ root: join(await env.dir(), 'c2') });
  assert.equal(a.lastDownload?.fetched, 0);
  assert.equal(await readFile(join(again, 'w.txt'), 'utf8'), 'original');
});

test('the cache stays under its cap by evicting least recently used blobs', async () => {
  const writer = await env.client();
  const src = await env.dir();
  const size = 300 * 1024;
  await writeTree(src, { 'one.bin': Buffer.alloc(size, 1), 'two.bin': Buffer.alloc(size, 2) });
  const one = new Artifact({ name: 'evict1', type: 'dataset' });
  await one.addFile(join(src, 'one.bin'));
  await writer.save(one);
  const two = new Artifact({ name: 'evict2', type: 'dataset' });
  await two.addFile(join(src, 'two.bin'));
  await writer.save(two);
  const reader = await env.client({ cacheMaxBytes: size + 1000 });
  const r1 = await reader.artifact('proj/evict1');
  await r1.download({ root: join(await env.dir(), 'e1') });
  const r2 = await reader.artifact('proj/evict2');
  await r2.download({ root: join(await env.dir(), 'e2') });
  const sha1 = (await r1.getEntry('one.bin')).sha256 as string;
  const sha2 = (await r2.getEntry('two.bin')).sha256 as string;
  assert.equal(await reader.context.cache.lookup(sha1, size), undefined);
  assert.ok(await reader.context.cache.lookup(sha2, size));
});

test('a file changed while being logged fails the log naming it; no version is created', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  const big = join(src, 'big.bin');
  await writeTree(src, { 'big.bin': Buffer.alloc(2 * 1024 * 1024, 1) });
  const a = new Artifact({ name: 'racy', type: 'dataset' });
  await a.addFile(big);
  let changed = false;
  await assert.rejects(
    a.save({
      client: cairn,
      onProgress: (p) => {
        if (p.phase === 'uploading' && !changed) {
          changed = true;
          // Same size, other bytes, after hashing and before the bytes are sent.
          writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 2));
        }
      },
    }),
    (err: CairnError) => {
      assert.equal(err.code, 'DIGEST_MISMATCH');
      assert.match(err.message, /big\.bin changed while being logged/);
      return true;
    },
  );
  assert.equal(changed, true);
  assert.equal(a.isDraft(), true);
  await assert.rejects(cairn.artifact('proj/racy'), { code: 'NOT_FOUND' });

  // policy 'mutable' snapshots at add time: later edits do not reach the logged version.
  const m = new Artifact({ name: 'racy', type: 'dataset' });
  await m.addFile(big, { policy: 'mutable' });
  await writeFile(big, 'later edit');
  await m.save({ client: cairn });
  const root = await m.download({ root: join(await env.dir(), 'm') });
  assert.deepEqual(await readFile(join(root, 'big.bin')), Buffer.alloc(2 * 1024 * 1024, 2));
});

test('getAddedLocalPathName follows adds, mutable copies and removals of whole directories', async () => {
  const src = await env.dir();
  const files: Record<string, string> = { 'top.txt': 'top' };
  for (let i = 0; i < 3000; i++) files[`many/f${i}.txt`] = `f${i}`;
  await writeTree(src, files);
  const a = new Artifact({ name: 'names', type: 'dataset' });
  await a.addDir(src);
  assert.equal(a.getAddedLocalPathName(join(src, 'many/f7.txt')), 'many/f7.txt');
  // Added again under another name: the latest name answers; removing the first keeps it.
  await a.addFile(join(src, 'top.txt'), { name: 'again.txt' });
  a.remove('top.txt');
  assert.equal(a.getAddedLocalPathName(join(src, 'top.txt')), 'again.txt');
  // A mutable file is read from a copy; its own path still names the entry, until removed.
  await a.addFile(join(src, 'many/f1.txt'), { name: 'snap.txt', policy: 'mutable' });
  assert.equal(a.getAddedLocalPathName(join(src, 'many/f1.txt')), 'snap.txt');
  // Removed, it names nothing (the name it had before is not brought back).
  a.remove('snap.txt');
  assert.equal(a.getAddedLocalPathName(join(src, 'many/f1.txt')), undefined);
  assert.equal(a.getAddedLocalPathName(join(src, 'many/f2.txt')), 'many/f2.txt');
  a.remove('many');
  assert.equal(a.getAddedLocalPathName(join(src, 'many/f2999.txt')), undefined);
  assert.equal(a.fileCount, 1);
});

test('files() pages with a resumable cursor; newDraft() logs an incremental version; delete()', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  await writeTree(src, { '1': 'a', '2': 'b', '3': 'c', '4': 'd', '5': 'e' });
  const a = new Artifact({ name: 'paged', type: 'dataset' });
  await a.addDir(src);
  await cairn.save(a, { aliases: ['keep'] });
  const it = a.files({ perPage: 2 });
  const firstPage = await it.nextPage();
  assert.equal(firstPage.length, 2);
  const resumed = a.files({ perPage: 2, start: it.cursor });
  const rest = [];
  for await (const e of resumed) rest.push(e.path);
  assert.deepEqual([...firstPage.map((e) => e.path), ...rest].sort(), ['1', '2', '3', '4', '5']);
  assert.equal(resumed.cursor, undefined);
  const named = [];
  for await (const e of a.files({ names: ['2', '4'] })) named.push(e.path);
  assert.deepEqual(named.sort(), ['2', '4']);

  const draft = await a.newDraft();
  assert.equal(draft.isDraft(), true);
  draft.remove('1');
  await writeTree(src, { '6': 'f' });
  await draft.addFile(join(src, '6'));
  await cairn.save(draft);
  assert.equal(draft.version, 'v1');
  assert.equal(draft.lastUpload?.missing, 1);
  assert.equal((await draft.getEntry('2')).birthArtifactId, a.id);
  const root = await draft.download({ root: join(await env.dir(), 'nd') });
  assert.deepEqual(await listTree(root), ['2', '3', '4', '5', '6']);

  await assert.rejects(a.delete(), { code: 'CONFLICT' });
  await a.delete({ deleteAliases: true });
  await assert.rejects(cairn.artifact('proj/paged:v0'), { code: 'NOT_FOUND' });
  assert.equal((await cairn.artifact('proj/paged')).version, 'v1');
});

test('references are logged and downloaded (file:// and http://), missing ones skippable', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  await writeTree(src, { 'r/x.txt': 'xx', 'r/y.txt': 'yy' });
  const server = createServer((req, res) => {
    res.writeHead(200, { etag: '"e1"', 'content-length': '5' });
    res.end(req.method === 'HEAD' ? undefined : 'hello');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const a = new Artifact({ name: 'reffed', type: 'dataset' });
    await a.addReference(pathToFileURL(join(src, 'r')).toString(), { name: 'local' });
    await a.addReference(`${base}/h.txt`);
    await cairn.save(a);
    assert.equal(a.lastUpload?.missing, 0);
    const root = await a.download({ root: join(await env.dir(), 'refs') });
    assert.deepEqual(await listTree(root), ['h.txt', 'local/x.txt', 'local/y.txt']);
    assert.equal(await readFile(join(root, 'h.txt'), 'utf8'), 'hello');
    await rm(join(src, 'r/y.txt'));
    await assert.rejects(a.download({ root: join(await env.dir(), 'refs2') }));
    const partial = await a.download({
      root: join(await env.dir(), 'refs3'),
      allowMissingReferences: true,
    });
    assert.deepEqual(await listTree(partial), ['h.txt', 'local/x.txt']);
  } finally {
    server.close();
  }
});

test('a symlink in the download root that leads outside is refused; nothing written outside', async () => {
  const cairn = await env.client();
  const src = await env.dir();
  await writeTree(src, { 'sub/f.txt': 'f' });
  const a = new Artifact({ name: 'escape', type: 'dataset' });
  await a.addDir(src);
  await cairn.save(a);
  const base = await env.dir();
  const outside = join(base, 'outside');
  await writeTree(outside, { 'keep.txt': 'k' });
  const root = join(base, 'root');
  await mkdir(root, { recursive: true });
  await symlink(outside, join(root, 'sub'));
  await assert.rejects(a.download({ root }), { code: 'PATH_ESCAPE' });
  assert.deepEqual(await readdir(outside), ['keep.txt']);
});

test('an unreachable server is a clear UNAVAILABLE error naming the URL', async () => {
  const dead = new Cairn({ url: 'http://127.0.0.1:9', cacheDir: await env.dir() });
  await assert.rejects(dead.artifact('e/p/n'), (err: CairnError) => {
    assert.equal(err.code, 'UNAVAILABLE');
    assert.match(err.message, /127\.0\.0\.1:9/);
    return true;
  });
  const cairn = await env.client();
  await assert.rejects(cairn.artifact('proj/does-not-exist'), { code: 'NOT_FOUND' });
});
