import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ManifestBody, VersionInfo } from '@cairn/core';
import { json, logFiles, post, testServer, type TestServer } from './helpers.js';

let s: TestServer;
before(async () => {
  s = await testServer({ gcIntervalMs: 0 });
  await json(
    post(`${s.api}/registries/collections`, {
      registry: 'model',
      name: 'classifier',
      type: 'model',
    }),
  );
});
after(async () => {
  await s.close();
});

const link = (id: string, body: unknown) => post(`${s.api}/versions/${id}/links`, body);
const errorOf = async (res: Response) => {
  const b = (await res.json()) as { error: { code: string; message: string } };
  return `${res.status} ${b.error.code} ${b.error.message}`;
};

test('links are versions of the registry collection showing the source content; latest moves', async () => {
  const v0 = await logFiles(s.api, { collection: 'clf', type: 'model' }, { w: 'weights 0' });
  const v1 = await logFiles(s.api, { collection: 'clf', type: 'model' }, { w: 'weights 1' });
  const l0 = await json<VersionInfo>(
    link(v0.version.id, { target: 'registry/model/classifier', aliases: ['prod'] }),
  );
  assert.equal(l0.entity, 'registry');
  assert.equal(l0.project, 'model');
  assert.equal(l0.index, 0);
  assert.deepEqual(l0.source, {
    id: v0.version.id,
    entity: 'alice',
    project: 'proj',
    collection: 'clf',
    index: 0,
  });
  assert.equal(l0.digest, v0.version.digest);
  const l1 = await json<VersionInfo>(
    link(v1.version.id, { target: 'wandb-registry-model/classifier' }),
  );
  assert.equal(l1.index, 1);
  const latest = await json<VersionInfo>(
    fetch(`${s.api}/versions/resolve?ref=registry/model/classifier:latest`),
  );
  assert.equal(latest.id, l1.id);
  const m = await json<ManifestBody>(fetch(`${s.api}/versions/${l0.id}/manifest`));
  assert.deepEqual(
    m.entries.map((e) => e.path),
    ['w'],
  );
  assert.equal(await (await fetch(`${s.api}/versions/${l0.id}/file?path=w`)).text(), 'weights 0');
  // Linking the same source again returns the same link.
  const again = await json<VersionInfo>(
    link(v0.version.id, { target: 'registry/model/classifier' }),
  );
  assert.equal(again.id, l0.id);
  const links = await json<{ items: VersionInfo[] }>(
    fetch(`${s.api}/versions/${v0.version.id}/links`),
  );
  assert.deepEqual(
    links.items.map((l) => l.id),
    [l0.id],
  );

  // The source cannot be deleted while linked; deleting the link only unlinks.
  const refused = await fetch(`${s.api}/versions/${v0.version.id}?deleteAliases=true`, {
    method: 'DELETE',
  });
  assert.match(await errorOf(refused), /^409 CONFLICT .*unlink/);
  assert.equal((await fetch(`${s.api}/versions/${l0.id}`, { method: 'DELETE' })).status, 200);
  assert.equal((await fetch(`${s.api}/versions/${v0.version.id}`)).status, 200, 'the source stays');
  assert.equal(
    (await fetch(`${s.api}/versions/resolve?ref=registry/model/classifier:prod`)).status,
    404,
  );
  assert.equal(
    (await fetch(`${s.api}/versions/${v0.version.id}?deleteAliases=true`, { method: 'DELETE' }))
      .status,
    200,
  );
});

test('bad links get clear errors and change nothing', async () => {
  const v = await logFiles(s.api, { collection: 'clf2', type: 'model' }, { w: 'other weights' });
  const w = await logFiles(s.api, { collection: 'clf3', type: 'model' }, { w: 'third weights' });
  assert.match(
    await errorOf(await link(v.version.id, { target: 'registry/model/nope' })),
    /^404 NOT_FOUND .*create it first/,
  );
  assert.match(
    await errorOf(await link(v.version.id, { target: 'model/classifier' })),
    /^400 VALIDATION .*registry\/<registry>/,
  );
  await json(link(v.version.id, { target: 'registry/model/classifier', aliases: ['staging'] }));
  assert.match(
    await errorOf(
      await link(w.version.id, { target: 'registry/model/classifier', aliases: ['staging'] }),
    ),
    /^409 CONFLICT .*staging/,
  );
  const ds = await logFiles(s.api, { collection: 'data' }, { d: 'a dataset' });
  assert.match(
    await errorOf(await link(ds.version.id, { target: 'registry/model/classifier' })),
    /^409 CONFLICT .*holds "model"/,
  );
  assert.equal(
    (await fetch(`${s.api}/versions/${ds.version.id}`, { method: 'DELETE' })).status,
    200,
  );
  assert.match(
    await errorOf(await link(ds.version.id, { target: 'registry/model/classifier' })),
    /^404 NOT_FOUND .*deleted/,
  );
  const l = await json<{ items: VersionInfo[] }>(fetch(`${s.api}/versions/${v.version.id}/links`));
  const ttl = await fetch(`${s.api}/versions/${l.items[0]?.id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ttlMs: 1000 }),
  });
  assert.match(await errorOf(ttl), /^400 VALIDATION .*registry link has no time to live/);
  const direct = await post(`${s.api}/uploads`, {
    entity: 'registry',
    project: 'model',
    collection: 'x',
    type: 'model',
    sha256: [],
  });
  assert.match(await errorOf(direct), /^400 VALIDATION .*registry links only/);
});
