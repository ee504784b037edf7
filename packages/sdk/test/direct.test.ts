import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EARLY_FIRST_BATCH_FILES } from '../src/early-upload.js';
import { Artifact } from '../src/index.js';
import { s3ServerOptions } from '../../server/test/helpers.js';
import { testS3, type TestS3 } from '../../server/test/s3.js';
import { startEnv, writeTree } from './helpers.js';
import type { TestEnv } from './helpers.js';

// Its own s3rver, so the requests the store received can be told apart: the server's come from
// the AWS SDK, a client's presigned PUTs and GETs do not.
let s3: TestS3;
let env: TestEnv;
before(async () => {
  s3 = await testS3(true);
  env = await startEnv(s3ServerOptions(s3.location(true)));
});
after(async () => {
  await env.close();
  await s3.close();
});

function tree(n: number, tag: string): Record<string, string | Uint8Array> {
  const files: Record<string, string | Uint8Array> = {};
  for (let i = 0; i < n; i++) files[`small/f${i}.txt`] = `${tag} small file ${i}`;
  const big = Buffer.alloc(3 * 1024 * 1024 + 17, 9);
  big.write(tag);
  files['model.bin'] = big;
  return files;
}

test('log and download move bytes straight between client and bucket, packs kept', async () => {
  // Fewer files than the first early batch: all go in the commit's one pack.
  const n = EARLY_FIRST_BATCH_FILES - 50;
  const files = tree(n, 'direct');
  const src = await env.dir();
  await writeTree(src, files);
  const cairn = await env.client();
  const before = s3.requests.length;
  const a = new Artifact({ name: 'direct', type: 'dataset' });
  await a.addDir(src);
  await cairn.save(a);
  const logged = s3.requests.slice(before);
  const clientPuts = logged.filter((r) => !r.fromSdk && r.method === 'PUT');
  assert.equal(
    clientPuts.length,
    2,
    `one pack of ${n} files and one large blob, PUT by the client`,
  );
  assert.ok(
    !logged.some((r) => r.fromSdk && r.method === 'PUT' && !r.copy),
    'the server copies (CopyObject) but never uploads bytes itself',
  );
  assert.ok(logged.length < 20, `${logged.length} object-store requests for ${n + 1} files`);

  const reader = await env.client();
  const mid = s3.requests.length;
  const got = await reader.artifact('direct:latest');
  const root = await got.download({ root: await env.dir() });
  const fetched = s3.requests.slice(mid);
  const clientGets = fetched.filter((r) => !r.fromSdk && r.method === 'GET');
  assert.ok(clientGets.length >= 2 && clientGets.length <= 4, `${clientGets.length} ranged GETs`);
  assert.equal(fetched.filter((r) => r.fromSdk).length, 0, 'the server read nothing');
  for (const [path, bytes] of Object.entries(files)) {
    assert.deepEqual(await readFile(join(root, path)), Buffer.from(bytes), path);
  }
});

test('with direct transfer off, the same client sends everything through the server', async () => {
  const local = await startEnv(s3ServerOptions({ ...s3.location(false) }));
  try {
    const files = tree(20, 'through');
    const src = await local.dir();
    await writeTree(src, files);
    const before = s3.requests.length;
    const a = new Artifact({ name: 'through', type: 'dataset' });
    await a.addDir(src);
    await (await local.client()).save(a);
    const root = await (
      await (await local.client()).artifact('through:latest')
    ).download({
      root: await local.dir(),
    });
    const seen = s3.requests.slice(before);
    assert.ok(seen.length > 0 && seen.every((r) => r.fromSdk), 'only the server talks to S3');
    for (const [path, bytes] of Object.entries(files)) {
      assert.deepEqual(await readFile(join(root, path)), Buffer.from(bytes), path);
    }
  } finally {
    await local.close();
  }
});
