import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ManifestEntry } from '@cairn/core';
import { ManifestMemo } from '../src/service/manifest-memo.js';

const manifest = (n: number, tag: string): ManifestEntry[] =>
  Array.from({ length: n }, (_, i) => ({ path: `${tag}${i}`, digest: 'd', size: i }));

test('the manifest memo holds at most its bound of entries, dropping the least recently served', () => {
  const memo = new ManifestMemo(10);
  const a = manifest(4, 'a');
  const b = manifest(4, 'b');
  memo.set('a', a);
  memo.set('b', b);
  assert.equal(memo.size, 8);
  assert.equal(memo.get('a'), a); // a is now the most recent
  memo.set('c', manifest(4, 'c'));
  assert.equal(memo.size, 8);
  assert.equal(memo.get('b'), undefined, 'b was the least recently served');
  assert.equal(memo.get('a'), a);
  // A manifest larger than the bound is not held, and holds nothing else out.
  memo.set('huge', manifest(11, 'h'));
  assert.equal(memo.get('huge'), undefined);
  assert.equal(memo.size, 8);
  // Setting one already held changes nothing.
  memo.set('a', manifest(1, 'z'));
  assert.equal(memo.get('a'), a);
  assert.equal(memo.size, 8);
});
