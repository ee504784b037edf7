import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CairnError,
  compareCodePoints,
  isUnderPrefix,
  joinEntryPath,
  joinListedPath,
  normalizeEntryPath,
} from '@cairn/core';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CairnError);
    return e.code;
  }
  return undefined;
}

test('entry paths are normalized to relative POSIX form', () => {
  assert.equal(normalizeEntryPath('a/b.txt'), 'a/b.txt');
  assert.equal(normalizeEntryPath('./a//b/./c'), 'a/b/c');
  assert.equal(normalizeEntryPath('a\\b'), 'a/b');
  assert.equal(normalizeEntryPath('dir/'), 'dir');
});

test('paths that could escape the root are refused', () => {
  assert.equal(
    codeOf(() => normalizeEntryPath('../x')),
    'PATH_ESCAPE',
  );
  assert.equal(
    codeOf(() => normalizeEntryPath('a/../../x')),
    'PATH_ESCAPE',
  );
  assert.equal(
    codeOf(() => normalizeEntryPath('a/../b')),
    'PATH_ESCAPE',
  );
  assert.equal(
    codeOf(() => normalizeEntryPath('/etc/x')),
    'PATH_ESCAPE',
  );
  assert.equal(
    codeOf(() => normalizeEntryPath('C:/x')),
    'PATH_ESCAPE',
  );
  assert.equal(
    codeOf(() => normalizeEntryPath('..\\x')),
    'PATH_ESCAPE',
  );
  assert.equal(
    codeOf(() => normalizeEntryPath('a\0b')),
    'VALIDATION',
  );
  assert.equal(
    codeOf(() => normalizeEntryPath('')),
    'VALIDATION',
  );
  assert.equal(
    codeOf(() => normalizeEntryPath('./')),
    'VALIDATION',
  );
});

test('a path that is already normal comes back as it is; any other takes the full rules', () => {
  // Every string over a small alphabet of the characters that matter, up to 5 long, against the
  // rules spelled out (split, drop '' and '.', refuse '..', rejoin).
  const alphabet = ['a', '.', '/', '\\', ':', 'C', '\0'];
  const reference = (v: string): string | undefined => {
    if (v === '' || v.includes('\0')) return undefined;
    const posix = v.replaceAll('\\', '/');
    if (posix.startsWith('/') || /^[A-Za-z]:/.test(posix)) return undefined;
    const segs = posix.split('/').filter((x) => x !== '' && x !== '.');
    if (segs.includes('..') || segs.length === 0) return undefined;
    return segs.join('/');
  };
  let checked = 0;
  const grow = (prefix: string): void => {
    if (prefix.length > 0) {
      const want = reference(prefix);
      let got: string | undefined;
      try {
        got = normalizeEntryPath(prefix);
      } catch (e) {
        assert.ok(e instanceof CairnError, JSON.stringify(prefix));
      }
      assert.equal(got, want, JSON.stringify(prefix));
      checked++;
    }
    if (prefix.length < 5) for (const ch of alphabet) grow(prefix + ch);
  };
  grow('');
  assert.ok(checked > 19_000);
  const long = 'a/'.repeat(2048) + 'b';
  assert.equal(
    codeOf(() => normalizeEntryPath(long)),
    'VALIDATION',
  );
  assert.equal(normalizeEntryPath('.hidden/..x/x..'), '.hidden/..x/x..');
});

test('prefixes match whole segments', () => {
  assert.ok(isUnderPrefix('a/b', 'a'));
  assert.ok(isUnderPrefix('a', 'a'));
  assert.ok(!isUnderPrefix('ab/c', 'a'));
  assert.ok(isUnderPrefix('x', ''));
});

test('code point order matches Python sorted() (astral characters after BMP)', () => {
  const items = ['\u{1F600}', '\uFFFD', 'b', 'a', 'B'];
  assert.deepEqual([...items].sort(compareCodePoints), ['B', 'a', 'b', '\uFFFD', '\u{1F600}']);
});

test('code point order agrees with a reference comparison on random strings', () => {
  const pool = [
    'a',
    'z',
    '\u00e9',
    '\uD7FF',
    '\uE000',
    '\uFFFD',
    '\u{10000}',
    '\u{1F600}',
    '/',
    '0',
  ];
  const ref = (x: string, y: string) => {
    const xs = [...x].map((c) => c.codePointAt(0) ?? 0);
    const ys = [...y].map((c) => c.codePointAt(0) ?? 0);
    for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
      if (xs[i] !== ys[i]) return (xs[i] ?? 0) - (ys[i] ?? 0);
    }
    return xs.length - ys.length;
  };
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const word = () =>
    Array.from({ length: 1 + (next() % 4) }, () => pool[next() % pool.length]).join('');
  for (let i = 0; i < 2000; i++) {
    const x = word();
    const y = word();
    assert.equal(Math.sign(compareCodePoints(x, y)), Math.sign(ref(x, y)), `${x} vs ${y}`);
  }
});

test('joinListedPath keeps listed names as they are and normalizes or refuses the rest', () => {
  assert.equal(joinListedPath('', 'a/b.txt'), 'a/b.txt');
  assert.equal(joinListedPath('data/x', 'a/b.txt'), 'data/x/a/b.txt');
  assert.equal(joinListedPath('', 'a/b\\c.txt'), 'a/b/c.txt');
  assert.equal(joinListedPath('data', 'C:x'), 'data/C:x');
  assert.throws(() => joinListedPath('', 'C:x/y'), { code: 'PATH_ESCAPE' });
  assert.throws(() => joinListedPath('', 'a/..\\..\\x'), { code: 'PATH_ESCAPE' });
  assert.throws(() => joinListedPath('', `a/${'n'.repeat(5000)}`), { code: 'VALIDATION' });
  for (const name of ['plain', 'd/e/f', 'sp ace/ü.bin']) {
    assert.equal(joinListedPath('p', name), joinEntryPath('p', name));
  }
});
