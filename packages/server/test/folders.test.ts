import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type {
  FolderDeleteResult,
  FolderInfo,
  FolderListing,
  PlacementResult,
  VersionInfo,
} from '@cairn/core';
import { json, logFiles, post, testServer, type TestServer } from './helpers.js';
import { errorOf, place as placeInto } from './folder-helpers.js';

let s: TestServer;
before(async () => {
  s = await testServer({ gcIntervalMs: 0 });
});
after(async () => {
  await s.close();
});

const mk = (path: string, parents = false, entity = 'alice') =>
  post(`${s.api}/folders`, { entity, path, parents });
const ls = (path: string, entity = 'alice') =>
  fetch(`${s.api}/folders?entity=${entity}&path=${encodeURIComponent(path)}`);
const mv = (body: Record<string, unknown>) =>
  post(`${s.api}/folders/move`, { entity: 'alice', ...body });
const rm = (path: string, recursive = false) =>
  fetch(`${s.api}/folders?entity=alice&path=${encodeURIComponent(path)}&recursive=${recursive}`, {
    method: 'DELETE',
  });
const resolve = (ref: string) => fetch(`${s.api}/versions/resolve?ref=${encodeURIComponent(ref)}`);

const place = (
  folder: string,
  name: string,
  files: Record<string, string>,
  strategy: string,
  alternativeName?: string,
) => placeInto(s.api, folder, name, files, strategy, alternativeName);

test('mk: parents must exist unless parents; an existing folder is a conflict unless parents', async () => {
  assert.match(
    await errorOf(mk('p1/p2/p3')),
    /^404 NOT_FOUND parent folder \/alice\/p1\/p2 does not exist/,
  );
  const made = await json<FolderInfo>(mk('p1/p2/p3', true));
  assert.equal(made.fullPath, '/alice/p1/p2/p3');
  assert.ok(made.createdAt);
  assert.equal((await json<FolderInfo>(mk('p1/p2/p3', true))).createdAt, made.createdAt);
  assert.match(
    await errorOf(mk('p1/p2/p3')),
    /^409 CONFLICT folder \/alice\/p1\/p2\/p3 already exists/,
  );
  await json(mk('p1/p2/q'));
  const listing = await json<FolderListing>(ls('p1/p2'));
  assert.deepEqual(
    listing.folders.map((f) => f.fullPath),
    ['/alice/p1/p2/p3', '/alice/p1/p2/q'],
  );
  assert.equal(listing.folder.fullPath, '/alice/p1/p2');
});

test('folder names are checked: traversal is PATH_ESCAPE, bad names and the registry are refused', async () => {
  assert.match(
    await errorOf(mk('a/../b', true)),
    /^400 PATH_ESCAPE folder path "\/alice\/a\/..\/b" contains '..'/,
  );
  assert.match(await errorOf(mk('..', true)), /^400 PATH_ESCAPE/);
  assert.match(await errorOf(mk('a//b', true)), /^400 VALIDATION .*empty segment/);
  assert.match(
    await errorOf(mk('a b', true)),
    /^400 VALIDATION folder name "a b" may contain only/,
  );
  assert.match(await errorOf(mk('/abs', true)), /^400 VALIDATION .*relative to the entity/);
  assert.match(
    await errorOf(mk('x', true, 'registry')),
    /^400 VALIDATION entity registry holds registry/,
  );
  assert.match(
    await errorOf(ls('nope/never')),
    /^404 NOT_FOUND folder \/alice\/nope\/never does not exist/,
  );
});

test('ls shows folders implied by W&B projects and the artifacts in a folder', async () => {
  await logFiles(s.api, { entity: 'bob', project: 'vision/mnist', collection: 'raw' }, { a: 'A' });
  const root = await json<FolderListing>(ls('', 'bob'));
  assert.deepEqual(root.folders, [
    { entity: 'bob', path: 'vision', fullPath: '/bob/vision', createdAt: null },
  ]);
  const mnist = await json<FolderListing>(ls('vision/mnist', 'bob'));
  assert.deepEqual(
    mnist.artifacts.map((a) => [a.name, a.versionCount]),
    [['raw', 1]],
  );
  // An unknown entity has an empty root folder.
  assert.deepEqual((await json<FolderListing>(ls('', 'nobody'))).folders, []);
});

test('ls pages: subfolders by path, then artifacts by name, each once; bad limits and cursors are 400', async () => {
  const at = { entity: 'pager', project: 'big' };
  for (const n of ['s3', 's1', 's4', 's0', 's2']) {
    await json(mk(`big/${n}`, true, 'pager'));
  }
  for (const n of ['a6', 'a2', 'a0', 'a5', 'a3', 'a1', 'a4']) {
    await logFiles(s.api, { ...at, collection: n }, { f: n });
  }
  // A collection whose only version is deleted is not an artifact of the folder, on any page.
  const gone = await logFiles(s.api, { ...at, collection: 'a35' }, { f: 'gone' });
  assert.equal(
    (await fetch(`${s.api}/versions/${gone.version.id}?deleteAliases=true`, { method: 'DELETE' }))
      .status,
    200,
  );
  const page = (limit: number, cursor?: string) =>
    json<FolderListing>(
      fetch(
        `${s.api}/folders?entity=pager&path=big&limit=${limit}` +
          (cursor !== undefined ? `&cursor=${encodeURIComponent(cursor)}` : ''),
      ),
    );
  const folders = ['big/s0', 'big/s1', 'big/s2', 'big/s3', 'big/s4'];
  const artifacts = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
  const whole = await json<FolderListing>(ls('big', 'pager'));
  assert.deepEqual(
    whole.folders.map((f) => f.path),
    folders,
  );
  assert.deepEqual(
    whole.artifacts.map((a) => a.name),
    artifacts,
  );
  assert.equal(whole.nextCursor, undefined);
  for (const limit of [1, 2, 3, 5, 6, 11, 12, 13]) {
    const seen: { folders: string[]; artifacts: string[]; sizes: number[] } = {
      folders: [],
      artifacts: [],
      sizes: [],
    };
    let cursor: string | undefined;
    do {
      const p = await page(limit, cursor);
      assert.equal(p.folder.path, 'big');
      seen.folders.push(...p.folders.map((f) => f.path));
      seen.artifacts.push(...p.artifacts.map((a) => a.name));
      seen.sizes.push(p.folders.length + p.artifacts.length);
      cursor = p.nextCursor;
    } while (cursor !== undefined);
    assert.deepEqual(seen.folders, folders, `limit ${limit}`);
    assert.deepEqual(seen.artifacts, artifacts, `limit ${limit}`);
    // Every page but the last is full, and no page is empty.
    const total = folders.length + artifacts.length;
    const full = Array.from({ length: Math.floor(total / limit) }, () => limit);
    assert.deepEqual(seen.sizes, total % limit ? [...full, total % limit] : full, `limit ${limit}`);
  }
  // An artifact added behind the cursor is not handed out; one ahead of it is.
  const first = await page(6);
  assert.deepEqual(
    first.artifacts.map((a) => a.name),
    ['a0'],
  );
  await logFiles(s.api, { ...at, collection: 'a' }, { f: 'early' });
  await logFiles(s.api, { ...at, collection: 'a7' }, { f: 'late' });
  const rest = await page(100, first.nextCursor);
  assert.deepEqual(rest.folders, []);
  assert.deepEqual(
    rest.artifacts.map((a) => a.name),
    [...artifacts.slice(1), 'a7'],
  );

  for (const bad of ['0', '1001', '2.5', 'x']) {
    assert.match(
      await errorOf(fetch(`${s.api}/folders?entity=pager&path=big&limit=${bad}`)),
      /^400 VALIDATION/,
      `limit ${bad}`,
    );
  }
  for (const bad of [
    'nope',
    Buffer.from('"z:1"').toString('base64url'),
    Buffer.from('7').toString('base64url'),
  ]) {
    assert.match(
      await errorOf(fetch(`${s.api}/folders?entity=pager&path=big&cursor=${bad}`)),
      /^400 VALIDATION cursor is not one this server issued/,
      `cursor ${bad}`,
    );
  }
});

test('mv carries every artifact below the folder, keeping ids and aliases; refuses cycles and taken places', async () => {
  const v = await logFiles(
    s.api,
    { project: 'm1/sub', collection: 'raw' },
    { f: 'moved bytes' },
    { aliases: ['best'] },
  );
  await logFiles(s.api, { project: 'm1', collection: 'top' }, { g: 'top bytes' });
  assert.match(
    await errorOf(mv({ path: 'm1', toPath: 'm1/inner' })),
    /^400 VALIDATION cannot move \/alice\/m1 into itself/,
  );
  await json(mk('taken', true));
  assert.match(
    await errorOf(mv({ path: 'm1', toPath: 'taken' })),
    /^409 CONFLICT .*destination already exists/,
  );
  assert.match(
    await errorOf(mv({ path: 'm1', toPath: 'far/away/m2' })),
    /^404 NOT_FOUND .*parent folder \/alice\/far\/away does not exist/,
  );
  const moved = await json<FolderInfo>(mv({ path: 'm1', toPath: 'far/away/m2', parents: true }));
  assert.equal(moved.fullPath, '/alice/far/away/m2');
  const after = await json<VersionInfo>(resolve('alice/far/away/m2/sub/raw:best'));
  assert.equal(after.id, v.version.id);
  assert.equal(after.project, 'far/away/m2/sub');
  assert.equal((await json<VersionInfo>(resolve('alice/far/away/m2/top'))).collection, 'top');
  assert.match(await errorOf(resolve('alice/m1/sub/raw')), /^404/);
  assert.match(await errorOf(ls('m1')), /^404/);
  assert.equal(
    await (await fetch(`${s.api}/versions/${v.version.id}/file?path=f`)).text(),
    'moved bytes',
  );
  // Rename is a move within the parent; across entities works as well.
  await json(mv({ path: 'far/away/m2', toPath: 'far/away/renamed' }));
  await json(mv({ path: 'far/away/renamed', toEntity: 'carol', toPath: 'got' }));
  assert.equal((await json<VersionInfo>(resolve('carol/got/sub/raw:best'))).id, v.version.id);
});

test('rm refuses a folder that is not empty unless recursive; recursive deletes its versions and frees the name', async () => {
  const v = await logFiles(s.api, { project: 'r1/deep', collection: 'raw' }, { f: 'x' });
  assert.match(
    await errorOf(rm('r1')),
    /^409 CONFLICT folder \/alice\/r1 is not empty \(0 artifact\(s\), 1 subfolder\(s\)\)/,
  );
  assert.match(
    await errorOf(rm('r1/deep')),
    /^409 CONFLICT folder \/alice\/r1\/deep is not empty \(1 artifact/,
  );
  await json(mk('r1/empty', true));
  assert.deepEqual(await json<FolderDeleteResult>(rm('r1/empty')), {
    deleted: true,
    folders: 1,
    versions: 0,
  });
  const gone = await json<FolderDeleteResult>(rm('r1', true));
  assert.equal(gone.versions, 1);
  assert.match(await errorOf(fetch(`${s.api}/versions/${v.version.id}`)), /^404/);
  assert.match(await errorOf(ls('r1')), /^404/);
  assert.deepEqual(
    (await json<FolderListing>(ls(''))).folders.filter((f) => f.path.startsWith('~')),
    [],
  );
  // The name is free again, and a new artifact there starts at v0.
  const again = await logFiles(s.api, { project: 'r1/deep', collection: 'raw' }, { f: 'y' });
  assert.equal(again.version.index, 0);
  assert.match(await errorOf(rm('')), /^400 VALIDATION the root folder/);
});

test('place: a missing folder is an error naming it; each conflict strategy', async () => {
  assert.match(
    await errorOf(place('nowhere', 'a', { f: '1' }, 'new')),
    /^404 NOT_FOUND folder \/alice\/nowhere does not exist/,
  );
  await json(mk('t9k', true));
  const first = await json<PlacementResult>(place('t9k', 'mnist', { f: '1' }, 'error'));
  assert.equal(first.outcome, 'created');
  assert.equal(first.version.collection, 'mnist');

  const skipped = await json<PlacementResult>(place('t9k', 'mnist', { f: '2' }, 'skip'));
  assert.equal(skipped.outcome, 'skipped');
  assert.equal(skipped.created, false);
  assert.equal(skipped.version.id, first.version.id);

  assert.match(
    await errorOf(place('t9k', 'mnist', { f: '2' }, 'error')),
    /^409 CONFLICT artifact alice\/t9k\/mnist:v0 already exists in folder \/alice\/t9k/,
  );

  const renamed = await json<PlacementResult>(
    place('t9k', 'mnist', { f: '2' }, 'new', 'mnist_alt'),
  );
  assert.equal(renamed.outcome, 'renamed');
  assert.equal(renamed.version.collection, 'mnist_alt');

  const versioned = await json<PlacementResult>(place('t9k', 'mnist', { f: '3' }, 'version'));
  assert.equal(versioned.outcome, 'versioned');
  assert.equal(versioned.version.index, 1);

  const replaced = await json<PlacementResult>(place('t9k', 'mnist', { f: '4' }, 'replace'));
  assert.equal(replaced.outcome, 'replaced');
  assert.equal(replaced.version.index, 0);
  assert.deepEqual(new Set(replaced.retired), new Set([first.version.id, versioned.version.id]));
  assert.match(await errorOf(fetch(`${s.api}/versions/${first.version.id}`)), /^404/);
  const listing = await json<FolderListing>(ls('t9k'));
  assert.deepEqual(
    listing.artifacts.map((a) => [a.name, a.versionCount]),
    [
      ['mnist', 1],
      ['mnist_alt', 1],
    ],
  );
  assert.match(
    await errorOf(place('t9k', 'x', { f: '1' }, 'clobber')),
    /^400 VALIDATION conflictStrategy must be one of/,
  );
});

test('two clients uploading one name at once with error: exactly one wins', async () => {
  await json(mk('race-error', true));
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      place('race-error', 'same', { f: `content ${i}` }, 'error'),
    ),
  );
  const won = results.filter((r) => r.status === 200);
  const lost = results.filter((r) => r.status === 409);
  assert.equal(won.length, 1, `statuses ${results.map((r) => r.status).join(',')}`);
  assert.equal(lost.length, 5);
  const listing = await json<FolderListing>(ls('race-error'));
  assert.deepEqual(
    listing.artifacts.map((a) => [a.name, a.versionCount]),
    [['same', 1]],
  );
});

test('replace is atomic: concurrent replaces leave exactly one live artifact, readers never see none', async () => {
  await json(mk('race-replace', true));
  await json(place('race-replace', 'same', { f: 'original' }, 'error'));
  let stop = false;
  let reads = 0;
  const misses: string[] = [];
  const readOnce = async () => {
    while (!stop) {
      const r = await resolve('alice/race-replace/same:latest');
      reads++;
      if (r.status !== 200) misses.push(await errorOf(r));
      else await r.body?.cancel();
      const page = await fetch(
        `${s.api}/versions?entity=alice&project=race-replace&collection=same`,
      );
      const items = page.status === 200 ? ((await page.json()) as { items: unknown[] }).items : [];
      if (items.length !== 1) misses.push(`listing: HTTP ${page.status}, ${items.length} versions`);
    }
  };
  const readers = Promise.all([readOnce(), readOnce(), readOnce()]);
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      place('race-replace', 'same', { f: `new ${i}` }, 'replace'),
    ),
  );
  stop = true;
  await readers;
  assert.deepEqual(misses, [], `reader saw no artifact ${misses.length} of ${reads} times`);
  const bodies = await Promise.all(results.map((r) => json<PlacementResult>(r)));
  assert.ok(bodies.every((b) => b.outcome === 'replaced'));
  const listing = await json<FolderListing>(ls('race-replace'));
  assert.deepEqual(
    listing.artifacts.map((a) => [a.name, a.versionCount]),
    [['same', 1]],
  );
  const live = await json<VersionInfo>(resolve('alice/race-replace/same'));
  assert.ok(bodies.some((b) => b.version.id === live.id));
  // Every replace retired exactly the one before it: one chain, no version lost or kept twice.
  const retired = bodies.flatMap((b) => b.retired);
  assert.equal(retired.length, 10);
  assert.equal(new Set(retired).size, 10);
});

test('the OpenAPI document describes the folder routes', async () => {
  const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(
    fetch(`${s.api}/openapi.json`),
  );
  assert.deepEqual(Object.keys(doc.paths['/api/v1/folders'] ?? {}).sort(), [
    'delete',
    'get',
    'post',
  ]);
  assert.ok(doc.paths['/api/v1/folders/move']?.['post']);
  assert.ok(doc.paths['/api/v1/uploads/{id}/place']?.['post']);
});
