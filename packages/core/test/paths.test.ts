import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CairnError, compareCodePoints, isUnderPrefix, normalizeEntryPath } from '@cairn/core';

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
