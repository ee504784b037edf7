import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ManifestEntry } from '@cairn/core';
import { diffManifests } from '../src/diff.js';

const file = (path: string, sha: string, size = 1): ManifestEntry => ({
  path,
  digest: `md5-${sha}`,
  size,
  sha256: sha.repeat(64).slice(0, 64),
});

test('diffManifests sorts entries into added, removed, changed and unchanged, by path', () => {
  const before = [file('b.txt', 'b'), file('a.txt', 'a'), file('gone/x', 'x'), file('z', 'z')];
  const after = [
    file('z', 'y'),
    file('a.txt', 'a'),
    file('new/2', '2'),
    file('new/1', '1'),
    file('b.txt', 'c'),
  ];
  const d = diffManifests(before, after);
  assert.deepEqual(
    d.added.map((e) => e.path),
    ['new/1', 'new/2'],
  );
  assert.deepEqual(
    d.removed.map((e) => e.path),
    ['gone/x'],
  );
  assert.deepEqual(
    d.changed.map((c) => [c.before.path, c.before.sha256?.[0], c.after.sha256?.[0]]),
    [
      ['b.txt', 'b', 'c'],
      ['z', 'z', 'y'],
    ],
  );
  assert.equal(d.unchanged, 1);
});

test('references compare by digest, URI and size; identical manifests differ in nothing', () => {
  const ref = (path: string, digest: string, uri: string): ManifestEntry => ({
    path,
    digest,
    size: 10,
    ref: uri,
  });
  const before = [ref('r1', 'etag1', 's3://b/r1'), ref('r2', 'etag2', 's3://b/r2')];
  const after = [ref('r1', 'etag1', 's3://b/r1'), ref('r2', 'etag2', 's3://b/moved')];
  const d = diffManifests(before, after);
  assert.deepEqual(
    d.changed.map((c) => c.after.path),
    ['r2'],
  );
  assert.equal(d.unchanged, 1);
  const same = diffManifests(before, before);
  assert.deepEqual([same.added, same.removed, same.changed, same.unchanged], [[], [], [], 2]);
});
