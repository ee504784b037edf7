import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Artifact } from '../src/index.js';
import type { Cairn, CairnError } from '../src/index.js';
import { listTree } from '../src/local-tree.js';
import { startEnv, writeTree } from './helpers.js';
import type { TestEnv } from './helpers.js';

let env: TestEnv;
let work: string;
let cairn: Cairn;
let artifactsRoot: string;
before(async () => {
  env = await startEnv();
  work = await env.dir();
  artifactsRoot = join(work, 'artifacts-home');
  process.env['CAIRN_ARTIFACT_DIR'] = artifactsRoot;
  // The seed's examples use relative paths ('1.png', 'a/'): run them from a directory holding those.
  await writeTree(work, { '1.png': 'png bytes', 'a/x.txt': 'x', 'a/sub/y.txt': 'y' });
  process.chdir(work);
  cairn = await env.client();
});
after(async () => {
  await env.close();
});

/** Files below an artifact's local directory, without the sidecar. */
async function localFiles(a: Artifact): Promise<string[]> {
  return (await listTree(a.local)).filter((p) => p !== '.cairn-artifact.json');
}

function draft(name = 'mnist'): Artifact {
  return new Artifact({ name, type: 'dataset' });
}

test('add_file: every obj_path form of the seed lands the copy where its comment says', async () => {
  // `<local-dir>/1.png`: add_file(file_path='1.png') and add_file(file_path='1.png', obj_path='1.png')
  for (const objPath of [null, '1.png']) {
    const a = draft();
    assert.equal(await a.addFile('1.png', objPath), '1.png');
    assert.deepEqual(await localFiles(a), ['1.png']);
    assert.equal(await readFile(join(a.local, '1.png'), 'utf8'), 'png bytes');
  }
  // `<local-dir>/a/1.png`: obj_path='a/' and obj_path='a/1.png'
  for (const objPath of ['a/', 'a/1.png']) {
    const a = draft();
    assert.equal(await a.addFile('1.png', objPath), 'a/1.png');
    assert.deepEqual(await localFiles(a), ['a/1.png']);
    assert.deepEqual(
      a.objects.map((o) => [o.path, o.localPath]),
      [['a/1.png', join(a.local, 'a', '1.png')]],
    );
  }
  // The W&B form (an options object, or nothing) does not copy: the file is read at upload.
  const w = draft();
  assert.equal(await w.addFile('1.png'), '1.png');
  assert.equal(w.objects[0]?.localPath, join(work, '1.png'));
  assert.deepEqual(await listTree(w.local), []);
});

test('add_dir: every obj_path form of the seed lands the copy where its comment says', async () => {
  // `<local-dir>/a`: add_dir(dir_path='a/') (obj_path None) and add_dir(dir_path='a/', obj_path='a')
  for (const objPath of [null, 'a']) {
    const a = draft();
    assert.deepEqual(await a.addDir('a/', objPath), ['a/sub/y.txt', 'a/x.txt']);
    assert.deepEqual(await localFiles(a), ['a/sub/y.txt', 'a/x.txt']);
  }
  // `<local-dir>/b/a`: obj_path='b/' and obj_path='b/a'
  for (const objPath of ['b/', 'b/a']) {
    const a = draft();
    await a.addDir('a/', objPath);
    assert.deepEqual(await localFiles(a), ['b/a/sub/y.txt', 'b/a/x.txt']);
    assert.equal(await readFile(join(a.local, 'b', 'a', 'sub', 'y.txt'), 'utf8'), 'y');
  }
  // '' puts the directory's contents at the root; the W&B form still adds in place at the root.
  const root = draft();
  await root.addDir('a', '');
  assert.deepEqual(await localFiles(root), ['sub/y.txt', 'x.txt']);
  const w = draft();
  assert.deepEqual(await w.addDir('a/'), ['sub/y.txt', 'x.txt']);
  assert.deepEqual(await listTree(w.local), []);
  // A directory holding the artifacts' own local directories does not copy them in.
  const home = join(work, 'home');
  await writeTree(home, { 'keep.txt': 'k', 'artifacts/other_1/x.bin': 'other artifact' });
  const saved = process.env['CAIRN_ARTIFACT_DIR'];
  process.env['CAIRN_ARTIFACT_DIR'] = join(home, 'artifacts');
  try {
    const inHome = draft();
    assert.deepEqual(await inHome.addDir(home, ''), ['keep.txt']);
  } finally {
    process.env['CAIRN_ARTIFACT_DIR'] = saved;
  }
});

test('obj_path and folders that step outside are refused before anything is copied', async () => {
  const a = draft();
  for (const bad of ['../evil.png', '/etc/evil.png', 'a/../../evil.png']) {
    await assert.rejects(a.addFile('1.png', bad), (e: CairnError) => {
      assert.equal(e.code, 'PATH_ESCAPE');
      assert.match(e.message, /entry path .* (contains '\.\.'|is absolute)/);
      return true;
    });
  }
  await assert.rejects(a.addDir('a/', '../'), { code: 'PATH_ESCAPE' });
  await assert.rejects(a.addDir('a/', '../up/'), { code: 'PATH_ESCAPE' });
  await assert.rejects(stat(join(work, 'evil.png')), { code: 'ENOENT' });
  await assert.rejects(stat(join(artifactsRoot, 'evil.png')), { code: 'ENOENT' });
  assert.deepEqual(a.objects, []);
  await assert.rejects(a.upload({ folder: 'x/../y', makeFolder: true }), (e: CairnError) => {
    assert.equal(e.code, 'PATH_ESCAPE');
    assert.match(e.message, /folder path "x\/..\/y" contains '\.\.'/);
    return true;
  });
  await assert.rejects(a.upload({ folder: '/' }), { code: 'VALIDATION' });
  // Adding the same object twice is a conflict, and the first copy stays.
  await a.addFile('1.png', 'same.png');
  await writeFile(join(work, 'other.png'), 'other');
  await assert.rejects(a.addFile('other.png', 'same.png'), { code: 'CONFLICT' });
  assert.equal(await readFile(join(a.local, 'same.png'), 'utf8'), 'png bytes');
});

test('add_reference with an obj_path; labels, createdTimestamp, alternativeName and local', async () => {
  const a = new Artifact({ name: 'refs', labels: ['raw', 'v-1'] });
  assert.equal(a.type, 'artifact');
  const uri = pathToFileURL(join(work, '1.png')).href;
  assert.deepEqual(await a.addReference(uri, 'refs/'), ['refs/1.png']);
  assert.deepEqual(await a.addReference(uri, 'named.png'), ['named.png']);
  assert.deepEqual(await a.addReference(uri, null), ['1.png']);
  assert.equal(a.objects.find((o) => o.path === 'named.png')?.ref, uri);
  assert.deepEqual(a.labels, ['raw', 'v-1']);
  assert.equal(a.labels, a.tags);
  assert.match(a.alternativeName, /^refs_\d{6}_\d{6}_[a-z0-9]{6}$/);
  const created = new Date(a.createdTimestamp);
  const stamp = a.createdTimestamp.replace(/[-:T]/g, '');
  assert.equal(a.alternativeName.slice(5, 18), `${stamp.slice(2, 8)}_${stamp.slice(8, 14)}`);
  assert.ok(Math.abs(Date.now() - created.getTime()) < 60_000);
  assert.equal(a.alternativeName, a.alternativeName, 'fixed');
  assert.equal(a.local, join(artifactsRoot, a.alternativeName));
  assert.notEqual(new Artifact({ name: 'refs' }).alternativeName, a.alternativeName);
});

test('toDict / fromDict / parseFromDict round-trip every field of a draft and of an upload', async () => {
  const a = new Artifact({
    name: 'roundtrip',
    type: 'dataset',
    description: 'the description',
    metadata: { k: [1, 'two'] },
    labels: ['l1'],
  });
  a.aliases = ['best'];
  a.ttl = 86_400_000;
  await a.addFile('1.png', 'img/');
  await a.addDir('a/', 'data/');
  await a.addReference(pathToFileURL(join(work, '1.png')).href, 'ref.png');
  const d = a.toDict();
  const back = Artifact.fromDict(JSON.parse(JSON.stringify(d)) as typeof d);
  assert.deepEqual(back.toDict(), d);
  assert.deepEqual(
    d.objects.map((o) => o.path),
    ['data/a/sub/y.txt', 'data/a/x.txt', 'img/1.png', 'ref.png'],
  );
  assert.equal(back.alternativeName, a.alternativeName);
  assert.equal((await back.manifest()).digest, (await a.manifest()).digest);

  await a.upload({ client: cairn, folder: 'roundtrips', makeFolder: true });
  const logged = a.toDict();
  assert.equal(logged.version?.collection, 'roundtrip');
  assert.equal(logged.remote.length, 1);
  const again = Artifact.fromDict(JSON.parse(JSON.stringify(logged)) as typeof logged, {
    client: cairn,
  });
  assert.deepEqual(again.toDict(), logged);
  assert.equal(again.qualifiedName, a.qualifiedName);
  assert.equal((await again.manifest()).digest, (await a.manifest()).digest);

  // t9k's constructor: Artifact(metadata, objects), objects keyed by path.
  const byPath = Object.fromEntries(d.objects.map(({ path, ...o }) => [path, o]));
  const constructed = new Artifact({ name: 'roundtrip', type: 'dataset' }, byPath);
  assert.deepEqual(constructed.objects, d.objects);

  const target = new Artifact({ name: 'other' });
  target.parseFromDict(d);
  assert.deepEqual(target.toDict(), d);
});

test('upload: default folder, makeFolder, relative and absolute folder paths, remote history', async () => {
  const a = draft('up');
  await a.addFile('1.png', null);
  await assert.rejects(a.upload({ client: cairn }), (e: CairnError) => {
    assert.equal(e.code, 'NOT_FOUND');
    assert.match(e.message, /folder \/tester\/default does not exist; pass makeFolder/);
    return true;
  });
  assert.equal(a.isDraft(), true);
  await a.upload({ client: cairn, makeFolder: true });
  assert.equal(a.qualifiedName, 'tester/default/up:v0');
  assert.equal(a.lastOutcome, 'created');

  const rel = draft('rel');
  await rel.addFile('1.png', null);
  await rel.upload({ client: cairn, folder: 'vision/mnist', makeFolder: true });
  assert.equal(rel.qualifiedName, 'tester/vision/mnist/rel:v0');
  const abs = draft('abs');
  await abs.addFile('1.png', null);
  await abs.upload({ client: cairn, folder: '/someone/vision/', makeFolder: true });
  assert.equal(abs.qualifiedName, 'someone/vision/abs:v0');
  const [rec] = abs.remote;
  assert.equal(rec?.action, 'upload');
  assert.equal(rec?.folder, '/someone/vision');
  assert.equal(rec?.name, 'abs');
  assert.equal(rec?.version, 'v0');
  assert.equal(rec?.id, abs.id);
  assert.ok(rec && !Number.isNaN(Date.parse(rec.timestamp)));
  // The version's metadata keeps the t9k fields for loads, but users see their own metadata.
  assert.deepEqual(abs.metadata, {});
  const fetched = await cairn.artifact('someone/vision/abs');
  assert.equal(fetched.alternativeName, abs.alternativeName);
  assert.equal(fetched.createdTimestamp, abs.createdTimestamp);
  assert.deepEqual(fetched.metadata, {});
  fetched.description = 'edited';
  await fetched.save();
  assert.equal((await cairn.artifact('someone/vision/abs')).alternativeName, abs.alternativeName);
});

test('conflict strategies: skip, error, new, replace, version', async () => {
  await cairn.folders.make('strategies');
  const make = async (content: string) => {
    const a = draft('same');
    await writeFile(join(work, 'c.txt'), content);
    await a.addFile('c.txt', null);
    return a;
  };
  const first = await (await make('one')).upload({ client: cairn, folder: 'strategies' });
  assert.equal(first.lastOutcome, 'created');

  const skipper = await make('two');
  const existing = await skipper.upload({
    client: cairn,
    folder: 'strategies',
    conflictStrategy: 'skip',
  });
  assert.equal(existing.id, first.id);
  assert.equal(skipper.isDraft(), true);

  await assert.rejects(
    (await make('two')).upload({ client: cairn, folder: 'strategies', conflictStrategy: 'error' }),
    (e: CairnError) => {
      assert.equal(e.code, 'CONFLICT');
      assert.match(
        e.message,
        /artifact tester\/strategies\/same:v0 already exists in folder \/tester\/strategies/,
      );
      return true;
    },
  );

  const renamed = await make('three');
  await renamed.upload({ client: cairn, folder: 'strategies' });
  assert.equal(renamed.lastOutcome, 'renamed');
  assert.equal(renamed.collection, renamed.alternativeName);
  assert.equal(renamed.remote[0]?.name, renamed.alternativeName);

  const versioned = await (
    await make('four')
  ).upload({
    client: cairn,
    folder: 'strategies',
    conflictStrategy: 'version',
  });
  assert.equal(versioned.qualifiedName, 'tester/strategies/same:v1');

  const replacing = await make('five');
  await replacing.upload({ client: cairn, folder: 'strategies', conflictStrategy: 'replace' });
  assert.equal(replacing.lastOutcome, 'replaced');
  assert.equal(replacing.qualifiedName, 'tester/strategies/same:v0');
  await assert.rejects(cairn.artifact(`tester/strategies/same@${await first.digest()}`), {
    code: 'NOT_FOUND',
  });
  const now = await cairn.artifact('strategies/same');
  assert.equal(now.id, replacing.id);
  assert.equal(await readFile(await now.file(join(work, 'check')), 'utf8'), 'five');
  const listing = await cairn.folders.list('strategies');
  assert.deepEqual(
    listing.artifacts.map((c) => c.name).sort(),
    [renamed.alternativeName, 'same'].sort(),
  );
  await assert.rejects(
    (await make('x')).upload({
      client: cairn,
      folder: 'strategies',
      conflictStrategy: 'clobber' as 'skip',
    }),
    { code: 'VALIDATION' },
  );
});

test('two clients uploading one name at once: error lets exactly one win, replace leaves exactly one', async () => {
  const other = await env.client();
  await cairn.folders.make('concurrent');
  const racer = async (client: Cairn, content: string, conflictStrategy: 'error' | 'replace') => {
    const a = draft('raced');
    const f = join(work, `race-${content}.txt`);
    await writeFile(f, content);
    await a.addFile(f, 'data.txt');
    return a.upload({ client, folder: 'concurrent', conflictStrategy });
  };
  const errors = await Promise.allSettled([racer(cairn, 'A', 'error'), racer(other, 'B', 'error')]);
  assert.equal(errors.filter((r) => r.status === 'fulfilled').length, 1);
  const lost = errors.find((r) => r.status === 'rejected');
  assert.equal((lost?.reason as CairnError).code, 'CONFLICT');

  const replaced = await Promise.all([racer(cairn, 'C', 'replace'), racer(other, 'D', 'replace')]);
  assert.deepEqual(
    replaced.map((a) => a.lastOutcome),
    ['replaced', 'replaced'],
  );
  const live = await cairn.artifact('concurrent/raced');
  assert.ok(replaced.some((a) => a.id === live.id));
  const listing = await cairn.folders.list('concurrent');
  assert.deepEqual(
    listing.artifacts.map((c) => [c.name, c.versionCount]),
    [['raced', 1]],
  );
});

test('loadArtifact: a server path is downloaded into local; a local directory is loaded in place', async () => {
  const a = draft('loadme');
  await a.addDir('a/', null);
  await a.upload({ client: cairn, folder: 'vision/load', makeFolder: true });

  const byAbs = await cairn.loadArtifact('/tester/vision/load/loadme');
  assert.equal(byAbs.id, a.id);
  assert.equal(byAbs.alternativeName, a.alternativeName);
  assert.deepEqual(await localFiles(byAbs), ['a/sub/y.txt', 'a/x.txt']);
  assert.equal(byAbs.remote.at(-1)?.action, 'download');
  assert.equal(byAbs.remote.at(-1)?.folder, '/tester/vision/load');
  assert.equal(
    byAbs.objects.find((o) => o.path === 'a/x.txt')?.localPath,
    join(byAbs.local, 'a', 'x.txt'),
  );

  const byRel = await cairn.loadArtifact('vision/load/loadme:v0');
  assert.equal(byRel.id, a.id);

  // The artifact's local directory loads from its sidecar, wherever it is now.
  // (Loads of one artifact share its local directory, named by the alternative name, and
  // its history: the upload, then both downloads.)
  assert.equal(byAbs.local, a.local);
  const fromLocal = await cairn.loadArtifact(a.local);
  assert.equal(fromLocal.id, a.id);
  assert.deepEqual(
    fromLocal.remote.map((r) => r.action),
    ['upload', 'download', 'download'],
  );
  assert.deepEqual(fromLocal.remote, byRel.remote);
  // Any other directory is a draft of its files, in place.
  const plain = join(work, 'plain');
  await writeTree(plain, { 'p.txt': 'p' });
  const d = await cairn.loadArtifact(plain);
  assert.equal(d.isDraft(), true);
  assert.equal(d.local, plain);
  assert.deepEqual(
    d.objects.map((o) => o.path),
    ['p.txt'],
  );

  await assert.rejects(cairn.loadArtifact('vision/load/missing'), (e: CairnError) => {
    assert.equal(e.code, 'NOT_FOUND');
    assert.match(e.message, /no artifact missing in folder \/tester\/vision\/load/);
    return true;
  });
  // Uploading a loaded artifact into another folder carries its content.
  await byAbs.upload({ folder: 'copies', makeFolder: true });
  assert.equal(byAbs.qualifiedName, 'tester/copies/loadme:v0');
  assert.equal((await byAbs.manifest()).digest, await a.digest());
});

test('folders through the SDK: make, list, rename, move, delete', async () => {
  const f = cairn.folders;
  await assert.rejects(f.make('tree/x/y'), { code: 'NOT_FOUND' });
  await f.make('tree/x/y', { parents: true });
  assert.equal(await f.exists('/tester/tree/x'), true);
  const a = draft('inside');
  await a.addFile('1.png', null);
  await a.upload({ client: cairn, folder: 'tree/x/y' });
  assert.deepEqual((await f.rename('tree/x', 'z')).fullPath, '/tester/tree/z');
  assert.equal((await cairn.artifact('tester/tree/z/y/inside')).id, a.id);
  await f.move('tree/z', '/tester/elsewhere/z', { parents: true });
  assert.deepEqual(
    (await f.list('elsewhere/z')).folders.map((x) => x.fullPath),
    ['/tester/elsewhere/z/y'],
  );
  await assert.rejects(f.delete('elsewhere'), { code: 'CONFLICT' });
  assert.equal((await f.delete('elsewhere', { recursive: true })).versions, 1);
  assert.equal(await f.exists('elsewhere'), false);
  await mkdir(join(work, 'unused'), { recursive: true });
});

test('folders.list gathers every page; listPage hands out one with its cursor', async () => {
  const f = cairn.folders;
  for (const n of ['c', 'a', 'b']) await f.make(`paged/${n}`, { parents: true });
  const names = ['m4', 'm1', 'm3', 'm0', 'm2'];
  for (const n of names) {
    const a = draft(n);
    await a.addFile('1.png', null);
    await a.upload({ client: cairn, folder: 'paged' });
  }
  for (const pageSize of [1, 2, 3, 8, 1000]) {
    const all = await f.list('paged', { pageSize });
    assert.deepEqual(
      all.folders.map((x) => x.path),
      ['paged/a', 'paged/b', 'paged/c'],
      `pageSize ${pageSize}`,
    );
    assert.deepEqual(
      all.artifacts.map((x) => x.name),
      [...names].sort(),
      `pageSize ${pageSize}`,
    );
    assert.equal(all.nextCursor, undefined);
  }
  const first = await f.listPage('paged', { limit: 4 });
  assert.deepEqual([first.folders.length, first.artifacts.map((x) => x.name)], [3, ['m0']]);
  assert.equal(typeof first.nextCursor, 'string');
  const second = await f.listPage('paged', { limit: 4, cursor: first.nextCursor });
  assert.deepEqual(
    [second.folders.length, second.artifacts.map((x) => x.name), second.nextCursor],
    [0, ['m1', 'm2', 'm3', 'm4'], undefined],
  );
  await assert.rejects(f.list('paged', { pageSize: 0 }), { code: 'VALIDATION' });
});
