import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  CairnError,
  manifestDigest,
  parseArtifactRef,
  toWandbManifest,
  validateEntries,
  formatArn,
  parseArn,
  newId,
} from '@cairn/core';

const md5b64 = (s: string) => createHash('md5').update(s).digest('base64');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('artifact digest is W&B-compatible (golden value)', () => {
  // Computed with wandb's ArtifactManifestV1.digest() for the same two entries.
  const entries = [
    { path: 'b.txt', digest: md5b64('world') },
    { path: 'a.txt', digest: md5b64('hello') },
  ];
  const expected = createHash('md5')
    .update('wandb-artifact-manifest-v1\n')
    .update(`a.txt:${md5b64('hello')}\n`)
    .update(`b.txt:${md5b64('world')}\n`)
    .digest('hex');
  assert.equal(manifestDigest(entries), expected);
  assert.equal(
    manifestDigest([]),
    createHash('md5').update('wandb-artifact-manifest-v1\n').digest('hex'),
  );
  // Order of input does not matter; content does.
  assert.equal(manifestDigest([...entries].reverse()), expected);
  assert.notEqual(manifestDigest([{ path: 'a.txt', digest: md5b64('hello!') }]), expected);
});

test('W&B manifest v1 export', () => {
  const m = toWandbManifest([
    { path: 'z', digest: md5b64('z'), size: 1, sha256: sha('z') },
    { path: 'ref', digest: 'https://x/y', size: 0, ref: 'https://x/y', birthArtifactId: 'abc' },
  ]);
  assert.equal(m.version, 1);
  assert.equal(m.storagePolicy, 'wandb-storage-policy-v1');
  assert.deepEqual(m.storagePolicyConfig, { storageLayout: 'V2' });
  assert.deepEqual(Object.keys(m.contents), ['ref', 'z']);
  assert.deepEqual(m.contents['ref'], {
    digest: 'https://x/y',
    size: 0,
    ref: 'https://x/y',
    birthArtifactID: 'abc',
  });
  assert.deepEqual(m.contents['z'], { digest: md5b64('z'), size: 1 });
});

test('entries are validated: duplicates, sizes, hashes, paths', () => {
  const good = { path: './a', digest: md5b64('a'), size: 1, sha256: sha('a') };
  assert.equal(validateEntries([good])[0]?.path, 'a');
  const bad: unknown[] = [
    [good, { ...good, path: 'a' }],
    [{ ...good, size: -1 }],
    [{ ...good, size: 1.5 }],
    [{ ...good, sha256: 'ABC' }],
    [{ ...good, digest: 'not-md5' }],
    [{ path: 'a', digest: 'x', size: 1 }],
    [{ ...good, path: '../a' }],
    'nope',
  ];
  for (const b of bad) assert.throws(() => validateEntries(b), CairnError, JSON.stringify(b));
});

test('artifact references', () => {
  assert.deepEqual(parseArtifactRef('alice/vision/mnist/raw:v3'), {
    entity: 'alice',
    project: 'vision/mnist',
    collection: 'raw',
    alias: 'v3',
  });
  assert.deepEqual(parseArtifactRef('proj/name', { entity: 'e' }), {
    entity: 'e',
    project: 'proj',
    collection: 'name',
  });
  assert.deepEqual(parseArtifactRef('name:best', { entity: 'e', project: 'p' }), {
    entity: 'e',
    project: 'p',
    collection: 'name',
    alias: 'best',
  });
  const d = '0123456789abcdef0123456789abcdef';
  assert.equal(parseArtifactRef(`e/p/n@${d}`).digest, d);
  assert.throws(() => parseArtifactRef('name'), /names no project/);
  assert.throws(() => parseArtifactRef('e/p/n@xyz'), /digest/);
  assert.throws(() => parseArtifactRef('e//n'), /empty segment/);
  assert.throws(() => parseArtifactRef('e/p/bad name'), /letters, digits/);
});

test('ARNs round-trip', () => {
  const id = newId();
  assert.match(id, /^[0-9a-f]{32}$/);
  const arn = formatArn('artifact', id, 'eu-west-1', '123456789012');
  assert.equal(arn, `arn:aws:sagemaker:eu-west-1:123456789012:artifact/${id}`);
  assert.deepEqual(parseArn(arn), {
    region: 'eu-west-1',
    account: '123456789012',
    kind: 'artifact',
    id,
  });
  assert.throws(() => parseArn('arn:aws:s3:::bucket'), /not a SageMaker ARN/);
});
