import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Artifact, configureObjectStores } from '../src/index.js';
import { azureAccess, azureHeaders } from '../src/object-stores/azure-auth.js';
import { startEnv, type TestEnv } from './helpers.js';
import { startChild, text, type ChildServer } from './object-store-helpers.js';

// Azurite (Microsoft's Azure Storage emulator, 3.35: the last release that runs on Node 20)
// on loopback. The SDK reaches it as a user reaches an emulator: the canonical account URL in
// the reference, AZURE_STORAGE_CONNECTION_STRING redirecting that account and signing with
// its Shared Key.
const ACCOUNT = 'devstoreaccount1';
const KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const BASE = `https://${ACCOUNT}.blob.core.windows.net`;
let azurite: ChildServer;
let env: TestEnv;

async function call(
  method: string,
  path: string,
  body?: string,
  extra: Record<string, string> = {},
) {
  const access = azureAccess(ACCOUNT);
  const url = new URL(`${access.base}${path}`);
  const headers = { ...extra };
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
  const res = await fetch(url, {
    method,
    headers: azureHeaders(access, method, url, headers),
    // Bytes, not a string: fetch would add an unsigned text/plain Content-Type.
    ...(body !== undefined ? { body: Buffer.from(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
}

const putBlob = (name: string, body: string) =>
  call('PUT', `/cont/${name}`, body, { 'x-ms-blob-type': 'BlockBlob' });

before(async () => {
  const main = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
  azurite = await startChild(
    [
      main,
      '--inMemoryPersistence',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--disableTelemetry',
      '--silent',
    ],
    (line) => /successfully listens on (http:\/\/\S+)/.exec(line)?.[1],
  );
  process.env.AZURE_STORAGE_CONNECTION_STRING = [
    'DefaultEndpointsProtocol=http',
    `AccountName=${ACCOUNT}`,
    `AccountKey=${KEY}`,
    `BlobEndpoint=${azurite.url}/${ACCOUNT}`,
  ].join(';');
  await call('PUT', '/cont?restype=container');
  env = await startEnv();
});

after(async () => {
  await env.close();
  await azurite.stop();
});

test('Azure blob URLs: one blob and a listed prefix, ETag digests, downloaded bytes', async () => {
  await putBlob('model/weights.bin', 'weights!');
  for (const n of ['a', 'b', 'c', 'd', 'e']) await putBlob(`table/${n}.csv`, `csv ${n}`);
  await putBlob('table/deep/f.csv', 'csv f');
  await putBlob('tablex.csv', 'not under table/');

  const draft = new Artifact({ name: 'azrefs', type: 'dataset' });
  assert.deepEqual(await draft.addReference(`${BASE}/cont/model/weights.bin`), ['weights.bin']);
  configureObjectStores({ listPageSize: 2 }); // three pages: NextMarker must be followed
  const listed = await draft.addReference(`${BASE}/cont/table`, { name: 't' });
  configureObjectStores({});
  assert.deepEqual(listed.sort(), [
    't/a.csv',
    't/b.csv',
    't/c.csv',
    't/d.csv',
    't/deep/f.csv',
    't/e.csv',
  ]);
  const w = await draft.getEntry('weights.bin');
  assert.equal(w.size, 8);
  assert.equal(w.ref, `${BASE}/cont/model/weights.bin`);
  assert.match(w.digest, /^0x[0-9A-F]+$/i);
  assert.deepEqual(w.extra, { etag: w.digest });
  assert.equal((await draft.getEntry('t/deep/f.csv')).ref, `${BASE}/cont/table/deep/f.csv`);

  const cairn = await env.client();
  await draft.save({ client: cairn });
  const logged = await cairn.artifact(draft.qualifiedName);
  const root = await env.dir();
  await logged.download({ root });
  assert.equal(await text(root, 'weights.bin'), 'weights!');
  assert.equal(await text(root, 't/deep/f.csv'), 'csv f');
});

test('Azure: maxObjects past the cap is an error; missing blobs and containers are not found', async () => {
  for (const n of [1, 2, 3]) await putBlob(`few/${n}`, String(n));
  const draft = new Artifact({ name: 'azcap', type: 'dataset' });
  await assert.rejects(
    draft.addReference(`${BASE}/cont/few/`, { maxObjects: 2 }),
    (err: Error & { code?: string }) =>
      err.code === 'LIMIT_EXCEEDED' && /maxObjects=2/.test(err.message),
  );
  assert.equal(draft.fileCount, 0);
  await assert.rejects(draft.addReference(`${BASE}/cont/none`), { code: 'NOT_FOUND' });
  await assert.rejects(draft.addReference(`${BASE}/nocontainer/x`), { code: 'NOT_FOUND' });
  await draft.addReference(`${BASE}/cont/few`, { checksum: false });
  assert.equal((await draft.getEntry('few')).digest, `${BASE}/cont/few`);
});

test('Azure: a changed blob fails the download; allowMissingReferences skips a deleted one', async () => {
  await putBlob('moving/x', 'first');
  await putBlob('moving/y', 'stays');
  const cairn = await env.client();
  const draft = new Artifact({ name: 'azmoving', type: 'dataset' });
  await draft.addReference(`${BASE}/cont/moving/x`);
  await draft.addReference(`${BASE}/cont/moving/y`);
  await draft.save({ client: cairn });
  const logged = await cairn.artifact(draft.qualifiedName);
  await putBlob('moving/x', 'second');
  await assert.rejects(logged.download({ root: await env.dir() }), { code: 'DIGEST_MISMATCH' });
  await call('DELETE', '/cont/moving/x');
  await assert.rejects(logged.download({ root: await env.dir() }), { code: 'NOT_FOUND' });
  const root = await env.dir();
  await logged.download({ root, allowMissingReferences: true });
  assert.deepEqual(logged.lastDownload?.skippedReferences, ['x']);
  assert.equal(await text(root, 'y'), 'stays');
});
