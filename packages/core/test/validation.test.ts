import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CairnError,
  validateAlias,
  validateMetadata,
  validateName,
  validateTag,
  validateType,
} from '@cairn/core';

function rule(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CairnError, 'expected a CairnError');
    assert.equal(e.code, 'VALIDATION');
    return e.details?.['rule'] as string | undefined;
  }
  assert.fail('expected an error');
}

test('names: letters, digits, _ - . and at most 128', () => {
  assert.equal(validateName('mnist-raw_v1.2'), 'mnist-raw_v1.2');
  assert.equal(validateName('a'.repeat(128)), 'a'.repeat(128));
  assert.equal(
    rule(() => validateName('a'.repeat(129))),
    'name.length',
  );
  assert.equal(
    rule(() => validateName('has space')),
    'name.characters',
  );
  assert.equal(
    rule(() => validateName('a/b')),
    'name.characters',
  );
  assert.equal(
    rule(() => validateName('')),
    'name',
  );
  assert.equal(
    rule(() => validateName('..')),
    'name.characters',
  );
  assert.match(String(getMessage(() => validateName('x y'))), /letters, digits/);
});

test('types: no / or :, at most 128', () => {
  assert.equal(validateType('dataset'), 'dataset');
  assert.equal(validateType('my model (fp16)'), 'my model (fp16)');
  assert.equal(
    rule(() => validateType('a/b')),
    'type.characters',
  );
  assert.equal(
    rule(() => validateType('a:b')),
    'type.characters',
  );
  assert.equal(
    rule(() => validateType('t'.repeat(129))),
    'type.length',
  );
});

test('aliases: no / or :, latest and vN are managed', () => {
  assert.equal(validateAlias('best'), 'best');
  assert.equal(
    rule(() => validateAlias('latest')),
    'alias.managed',
  );
  assert.equal(
    rule(() => validateAlias('v12')),
    'alias.managed',
  );
  assert.equal(validateAlias('v12', true), 'v12');
  assert.equal(validateAlias('v1x'), 'v1x');
  assert.equal(
    rule(() => validateAlias('a:b')),
    'alias.characters',
  );
  assert.equal(
    rule(() => validateAlias('a/b')),
    'alias.characters',
  );
});

test("tags follow W&B's ^[-\\w]+( +[-\\w]+)*$", () => {
  for (const ok of ['prod', 'high-res', 'two words', 'été', 'a_b  c'.replace('  ', ' ')]) {
    assert.equal(validateTag(ok), ok);
  }
  for (const bad of ['', ' lead', 'trail ', 'no:colon', 'a/b']) {
    assert.equal(
      rule(() => validateTag(bad)),
      'tag.characters',
      bad,
    );
  }
});

test('metadata: at most 1 MiB of JSON', () => {
  const near = { blob: 'x'.repeat((1 << 20) - 20) };
  assert.deepEqual(validateMetadata(near), near);
  assert.equal(
    rule(() => validateMetadata({ blob: 'x'.repeat(1 << 20) })),
    'metadata.size',
  );
  // Counted in UTF-8 bytes, not characters.
  assert.equal(
    rule(() => validateMetadata({ blob: 'é'.repeat(600 * 1024) })),
    'metadata.size',
  );
});

test('metadata: at most 100 keys, JSON values only', () => {
  assert.deepEqual(validateMetadata({ a: 1, b: [1, 'x', null], c: { d: true } }), {
    a: 1,
    b: [1, 'x', null],
    c: { d: true },
  });
  const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i]));
  assert.equal(
    rule(() => validateMetadata(many)),
    'metadata.keys',
  );
  assert.equal(
    rule(() => validateMetadata({ x: NaN })),
    'metadata.number',
  );
  assert.equal(
    rule(() => validateMetadata({ x: { y: [Infinity] } })),
    'metadata.number',
  );
  assert.equal(
    rule(() => validateMetadata({ x: -Infinity })),
    'metadata.number',
  );
  assert.equal(
    rule(() => validateMetadata({ x: new Date() })),
    'metadata.json',
  );
  assert.equal(
    rule(() => validateMetadata({ x: () => 1 })),
    'metadata.json',
  );
  assert.equal(
    rule(() => validateMetadata([1])),
    'metadata.object',
  );
  assert.match(String(getMessage(() => validateMetadata({ lr: NaN }))), /lr.*NaN/);
});

function getMessage(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}
