import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Artifact, configureObjectStores } from '../src/index.js';
import { hashBytes } from '../src/hashing.js';
import { startGcsJsonApi, type GcsTestServer } from './gcs-json-api.js';
import { startEnv, type TestEnv } from './helpers.js';
import { text } from './object-store-helpers.js';

// Against the JSON-API test server in gcs-json-api.ts (no real GCS-protocol server runs here),
// reached as a user reaches an emulator: STORAGE_EMULATOR_HOST, and the token from the
// environment.
let gcs: GcsTestServer;
let env: TestEnv;

before(async () => {
  gcs = await startGcsJsonApi('bkt', 'secret-token');
  process.env.STORAGE_EMULATOR_HOST = gcs.url;
  process.env.GOOGLE_OAUTH_ACCESS_TOKEN = 'secret-token';
  env = await startEnv();
});

after(async () => {
  await env.close();
  await gcs.close();
});

test('gs:// references: MD5 digests, generations, listed prefixes, checked downloads', async () => {
  gcs.put('m/model.pt', 'tensor');
  for (const n of ['a', 'b', 'c']) gcs.put(`ds/${n}.json`, `{"${n}":1}`);
  gcs.put('ds/x/y.json', '{}');
  const draft = new Artifact({ name: 'gcsrefs', type: 'dataset' });
  assert.deepEqual(await draft.addReference('gs://bkt/m/model.pt'), ['model.pt']);
  configureObjectStores({ listPageSize: 2 });
  const listed = await draft.addReference('gs://bkt/ds');
  configureObjectStores({});
  assert.deepEqual(listed.sort(), ['a.json', 'b.json', 'c.json', 'x/y.json']);
  const e = await draft.getEntry('model.pt');
  assert.equal(e.digest, hashBytes(Buffer.from('tensor')).md5);
  assert.equal(e.size, 6);
  assert.match(String(e.extra?.versionID), /^\d+$/);

  const cairn = await env.client();
  await draft.save({ client: cairn });
  const logged = await cairn.artifact(draft.qualifiedName);
  const root = await env.dir();
  await logged.download({ root });
  assert.equal(await text(root, 'model.pt'), 'tensor');
  assert.equal(await text(root, 'x/y.json'), '{}');

  // A new generation: the recorded one is gone (unversioned bucket) → not found, or skipped.
  gcs.put('m/model.pt', 'other');
  await assert.rejects(logged.download({ root: await env.dir() }), { code: 'NOT_FOUND' });
  const partial = await env.dir();
  await logged.download({ root: partial, allowMissingReferences: true });
  assert.deepEqual(logged.lastDownload?.skippedReferences, ['model.pt']);
});

test('gs:// maxObjects past the cap is an error; a wrong token is refused', async () => {
  for (const n of [1, 2, 3]) gcs.put(`cap/${n}`, String(n));
  const draft = new Artifact({ name: 'gcscap', type: 'dataset' });
  await assert.rejects(
    draft.addReference('gs://bkt/cap/', { maxObjects: 2 }),
    (err: Error & { code?: string }) => err.code === 'LIMIT_EXCEEDED',
  );
  assert.equal(draft.fileCount, 0);
  await assert.rejects(draft.addReference('gs://bkt/nothing'), { code: 'NOT_FOUND' });
  configureObjectStores({ gcs: { token: 'wrong' } });
  try {
    await assert.rejects(
      draft.addReference('gs://bkt/cap/1'),
      (err: Error & { code?: string }) =>
        err.code === 'NOT_FOUND' && /GOOGLE_OAUTH_ACCESS_TOKEN/.test(err.message),
    );
  } finally {
    configureObjectStores({});
  }
});
