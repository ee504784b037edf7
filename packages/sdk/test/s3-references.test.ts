import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import {
  DeleteObjectCommand,
  PutObjectCommand,
  S3Client,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { Artifact, configureObjectStores } from '../src/index.js';
import { hashBytes } from '../src/hashing.js';
import { startEnv, tempDir, type TestEnv } from './helpers.js';
import { startChild, text, type ChildServer } from './object-store-helpers.js';

// A real S3-protocol server (s3rver) on loopback. The SDK is pointed at it the way a user
// would point it at MinIO: AWS_ENDPOINT_URL_S3 (read by the AWS SDK itself), path-style
// addressing, and credentials from the AWS SDK's environment chain.
let s3rver: ChildServer;
let s3dir: string;
let env: TestEnv;
let put: (key: string, body: string) => Promise<void>;
let del: (key: string) => Promise<void>;

before(async () => {
  s3dir = await tempDir('cairn-s3rver-');
  s3rver = await startChild(
    [
      '--openssl-legacy-provider',
      new URL('./s3rver-process.mjs', import.meta.url).pathname,
      s3dir,
      'bucket',
    ],
    (line) => {
      const m = /^\{"port":(\d+)\}$/.exec(line);
      return m ? `http://127.0.0.1:${m[1]}` : undefined;
    },
  );
  process.env.AWS_ENDPOINT_URL_S3 = s3rver.url;
  process.env.CAIRN_S3_FORCE_PATH_STYLE = 'true';
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  process.env.AWS_REGION = 'us-east-1';
  const admin = new S3Client({ forcePathStyle: true });
  put = async (key, body) => {
    const input: PutObjectCommandInput = { Bucket: 'bucket', Key: key, Body: body };
    await admin.send(new PutObjectCommand(input));
  };
  del = async (key) => {
    await admin.send(new DeleteObjectCommand({ Bucket: 'bucket', Key: key }));
  };
  env = await startEnv();
});

after(async () => {
  await env.close();
  await s3rver.stop();
  await rm(s3dir, { recursive: true, force: true });
});

test('s3:// object and prefix references: ETag digests, listed prefixes, downloaded bytes', async () => {
  await put('models/one.bin', 'model-one');
  for (const n of ['a', 'b', 'c', 'd', 'e']) await put(`data/${n}.txt`, `row ${n}`);
  await put('data/sub/f.txt', 'row f');
  await put('datum.txt', 'not under data/');

  const cairn = await env.client();
  const draft = new Artifact({ name: 's3refs', type: 'dataset' });
  assert.deepEqual(await draft.addReference('s3://bucket/models/one.bin'), ['one.bin']);
  // Pages of two objects: the listing must follow continuation tokens to the end.
  configureObjectStores({ listPageSize: 2 });
  const listed = await draft.addReference('s3://bucket/data', { name: 'rows' });
  configureObjectStores({});
  assert.deepEqual(listed.sort(), [
    'rows/a.txt',
    'rows/b.txt',
    'rows/c.txt',
    'rows/d.txt',
    'rows/e.txt',
    'rows/sub/f.txt',
  ]);
  const one = await draft.getEntry('one.bin');
  // s3rver's ETag of a single-part upload is the hex MD5, as AWS's is.
  const md5hex = Buffer.from(hashBytes(Buffer.from('model-one')).md5, 'base64').toString('hex');
  assert.equal(one.digest, md5hex);
  assert.equal(one.size, 9);
  assert.equal(one.ref, 's3://bucket/models/one.bin');
  assert.deepEqual(one.extra, { etag: md5hex });
  assert.equal((await draft.getEntry('rows/sub/f.txt')).ref, 's3://bucket/data/sub/f.txt');

  await draft.save({ client: cairn });
  const logged = await cairn.artifact(draft.qualifiedName);
  const root = await env.dir();
  await logged.download({ root });
  assert.equal(await text(root, 'one.bin'), 'model-one');
  assert.equal(await text(root, 'rows/c.txt'), 'row c');
  assert.equal(await text(root, 'rows/sub/f.txt'), 'row f');
});

test('s3:// maxObjects: one past the cap is an error, never a silent cut', async () => {
  for (const n of [1, 2, 3, 4]) await put(`capped/${n}.txt`, String(n));
  const draft = new Artifact({ name: 's3cap', type: 'dataset' });
  configureObjectStores({ listPageSize: 3 });
  try {
    await assert.rejects(
      draft.addReference('s3://bucket/capped/', { maxObjects: 3 }),
      (err: Error & { code?: string }) =>
        err.code === 'LIMIT_EXCEEDED' && /maxObjects=3/.test(err.message),
    );
    assert.equal(draft.fileCount, 0);
    assert.equal((await draft.addReference('s3://bucket/capped/', { maxObjects: 4 })).length, 4);
  } finally {
    configureObjectStores({});
  }
});

test('s3:// without checksum records the URI; unknown keys and buckets are not found', async () => {
  const draft = new Artifact({ name: 's3nosum', type: 'dataset' });
  await draft.addReference('s3://bucket/data', { checksum: false });
  const e = await draft.getEntry('data');
  assert.equal(e.digest, 's3://bucket/data');
  assert.equal(e.size, 0);
  await assert.rejects(draft.addReference('s3://bucket/nothing/here'), { code: 'NOT_FOUND' });
  await assert.rejects(draft.addReference('s3://no-such-bucket/x'), { code: 'NOT_FOUND' });
  await assert.rejects(draft.addReference('s3:///x'), { code: 'VALIDATION' });
});

test('s3:// download of a changed or deleted object fails unless allowMissingReferences', async () => {
  await put('moving/x.txt', 'first');
  await put('moving/y.txt', 'stays');
  const cairn = await env.client();
  const draft = new Artifact({ name: 's3moving', type: 'dataset' });
  await draft.addReference('s3://bucket/moving/x.txt');
  await draft.addReference('s3://bucket/moving/y.txt');
  await draft.save({ client: cairn });
  const logged = await cairn.artifact(draft.qualifiedName);

  await put('moving/x.txt', 'second'); // same key, other bytes: a new ETag
  await assert.rejects(logged.download({ root: await env.dir() }), {
    code: 'DIGEST_MISMATCH',
  });
  await del('moving/x.txt');
  await assert.rejects(logged.download({ root: await env.dir() }), { code: 'NOT_FOUND' });

  const root = await env.dir();
  await logged.download({ root, allowMissingReferences: true });
  assert.deepEqual(logged.lastDownload?.skippedReferences, ['x.txt']);
  assert.equal(await text(root, 'y.txt'), 'stays');
});
