import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { LocalBlobFiles } from '@cairn/core';
import { json, post, putPack, sha256, testServer } from './helpers.js';
import type { TestServer } from './helpers.js';

let s: TestServer;
before(async () => {
  s = await testServer();
});
after(async () => {
  await s.close();
});

const local = (hashes: string[]): Promise<LocalBlobFiles> =>
  json<LocalBlobFiles>(post(`${s.api}/blobs/local`, { sha256: hashes }));

test('POST /blobs/local names the files of blobs stored alone, and only of those', async () => {
  // Alone at its content address (PUT), alone as a pack of one (POST, hashed by the server),
  // and a small blob inside a pack of many.
  const addressed = randomBytes(2 * 1024 * 1024 + 5);
  await json(
    fetch(`${s.api}/blobs/${sha256(addressed)}`, {
      method: 'PUT',
      body: addressed,
      headers: { 'content-type': 'application/octet-stream' },
    }),
  );
  const unhashed = randomBytes(3 * 1024 * 1024 + 1);
  await json(
    fetch(`${s.api}/blobs`, {
      method: 'POST',
      body: unhashed,
      headers: { 'content-type': 'application/octet-stream' },
    }),
  );
  const small = [randomBytes(300), randomBytes(400)];
  await json(putPack(s.api, small));
  const unknown = sha256(randomBytes(10));

  const answer = await local([
    sha256(addressed),
    sha256(unhashed),
    sha256(small[0] as Buffer),
    unknown,
  ]);
  if (s.s3) {
    // Objects in a bucket are no files of this machine.
    assert.deepEqual(answer.items, []);
    return;
  }
  const byHash = new Map(answer.items.map((f) => [f.sha256, f]));
  assert.deepEqual([...byHash.keys()].sort(), [sha256(addressed), sha256(unhashed)].sort());
  for (const bytes of [addressed, unhashed]) {
    const f = byHash.get(sha256(bytes));
    assert.equal(f?.size, bytes.length);
    assert.ok(f?.path.startsWith(s.dataDir), `${f?.path} is inside the data directory`);
    assert.deepEqual(await readFile(f.path), bytes);
  }
});

test('POST /blobs/local refuses what is not a list of SHA-256s, or too long a list', async () => {
  const bad = await post(`${s.api}/blobs/local`, { sha256: ['nope'] });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: { message: string } }).error.message, /SHA-256/);
  const many = Array.from({ length: 1001 }, () => sha256(randomBytes(8)));
  const tooMany = await post(`${s.api}/blobs/local`, { sha256: many });
  assert.equal(tooMany.status, 400);
  assert.equal((await post(`${s.api}/blobs/local`, {})).status, 400);
});

test('POST /blobs/local names no file to a peer that is not on loopback', async (t) => {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i?.family === 'IPv4' && !i.internal)?.address;
  if (address === undefined) {
    t.skip('this machine has no address but loopback');
    return;
  }
  const remote = await testServer({ host: '0.0.0.0', apiKey: 'sekrit' });
  t.after(() => remote.close());
  const auth = { authorization: 'Bearer sekrit', 'content-type': 'application/json' };
  const bytes = randomBytes(2 * 1024 * 1024);
  await json(
    fetch(`${remote.api}/blobs/${sha256(bytes)}`, {
      method: 'PUT',
      body: bytes,
      headers: { ...auth, 'content-type': 'application/octet-stream' },
    }),
  );
  const ask = (api: string): Promise<LocalBlobFiles> =>
    json<LocalBlobFiles>(
      fetch(`${api}/blobs/local`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ sha256: [sha256(bytes)] }),
      }),
    );
  const port = new URL(remote.url).port;
  assert.deepEqual((await ask(`http://${address}:${port}/api/v1`)).items, []);
  // The same question from loopback is answered (on a local store).
  assert.equal((await ask(remote.api)).items.length, remote.s3 ? 0 : 1);
});
