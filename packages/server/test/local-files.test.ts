import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobInfo, LocalBlobFiles } from '@cairn/core';
import { FsBlobStore } from '../src/store/blob/fs-blob-store.js';
import { json, md5b64, post, putPack, sha256, testServer } from './helpers.js';
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

test('POST /blobs/local with packed: true names packed blobs as ranges of their pack', async () => {
  const small = [randomBytes(300), randomBytes(400), randomBytes(500)];
  await json(putPack(s.api, small));
  const answer = await json<LocalBlobFiles>(
    post(`${s.api}/blobs/local`, { sha256: small.map(sha256), packed: true }),
  );
  if (s.s3) {
    assert.deepEqual(answer.items, []);
    return;
  }
  assert.equal(answer.items.length, small.length);
  for (const bytes of small) {
    const f = answer.items.find((i) => i.sha256 === sha256(bytes));
    assert.ok(f?.offset !== undefined, 'a range, not a whole file');
    assert.equal(f.size, bytes.length);
    assert.ok(f.path.startsWith(s.dataDir), `${f.path} is inside the data directory`);
    const pack = await readFile(f.path);
    assert.deepEqual(pack.subarray(f.offset, f.offset + f.size), bytes);
  }
  assert.equal(new Set(answer.items.map((i) => i.path)).size, 1, 'one pack holds them all');
  const wrong = await post(`${s.api}/blobs/local`, { sha256: [], packed: 'yes' });
  assert.equal(wrong.status, 400);
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
  const upload = await fetch(`http://${address}:${port}/api/v1/blobs/local-uploads`, {
    method: 'POST',
    headers: { authorization: 'Bearer sekrit' },
  });
  assert.equal(upload.status, 403);
  // The same question from loopback is answered (on a local store).
  assert.equal((await ask(remote.api)).items.length, remote.s3 ? 0 : 1);
});

const call = (method: string, path: string): Promise<Response> =>
  fetch(`${s.api}${path}`, { method });

test('a local upload stores what was copied to its file, hashed by the server', async () => {
  const started = await call('POST', '/blobs/local-uploads');
  if (s.s3) {
    // Objects in a bucket: there is no local file to copy into.
    assert.equal(started.status, 403);
    return;
  }
  const ticket = await json<{ id: string; path: string }>(started);
  assert.ok(ticket.path.startsWith(s.dataDir), ticket.path);
  const bytes = randomBytes(5 * 1024 * 1024 + 3);
  await writeFile(ticket.path, bytes);
  const info = await json<BlobInfo>(call('POST', `/blobs/local-uploads/${ticket.id}/finish`));
  assert.deepEqual(info, { sha256: sha256(bytes), md5: md5b64(bytes), size: bytes.length });
  assert.equal(await stat(ticket.path).catch(() => undefined), undefined, 'the file moved');
  const back = await fetch(`${s.api}/blobs/${info.sha256}`);
  assert.deepEqual(Buffer.from(await back.arrayBuffer()), bytes);
  // Finished once: the id is spent.
  assert.equal((await call('POST', `/blobs/local-uploads/${ticket.id}/finish`)).status, 404);

  // The same bytes again: the stored blob is kept, the new file dropped, nothing stored twice.
  const before = await s.storedBytes();
  const again = await json<{ id: string; path: string }>(call('POST', '/blobs/local-uploads'));
  await writeFile(again.path, bytes);
  assert.deepEqual(await json(call('POST', `/blobs/local-uploads/${again.id}/finish`)), info);
  assert.equal(await s.storedBytes(), before);
  assert.equal(await stat(again.path).catch(() => undefined), undefined);
});

test('a local upload never copied to, or abandoned, leaves nothing behind', async () => {
  if (s.s3) return;
  const empty = await json<{ id: string; path: string }>(call('POST', '/blobs/local-uploads'));
  const missing = await call('POST', `/blobs/local-uploads/${empty.id}/finish`);
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { error: { message: string } }).error.message, /copy/);

  const dropped = await json<{ id: string; path: string }>(call('POST', '/blobs/local-uploads'));
  await writeFile(dropped.path, randomBytes(1000));
  assert.deepEqual(await json(call('DELETE', `/blobs/local-uploads/${dropped.id}`)), {
    aborted: true,
  });
  assert.equal(await stat(dropped.path).catch(() => undefined), undefined);
  assert.equal((await call('DELETE', `/blobs/local-uploads/${dropped.id}`)).status, 404);
  assert.equal((await call('POST', '/blobs/local-uploads/nope/finish')).status, 404);
});

test('a local upload whose file changed after it was read stores nothing', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'cairn-local-upload-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const store = await FsBlobStore.open(root);
  const upload = store.localUpload();
  await writeFile(upload.path, randomBytes(1000));
  let read = 0;
  for await (const chunk of upload.bytes()) read += chunk.byteLength;
  assert.equal(read, 1000);
  await appendFile(upload.path, 'late');
  await assert.rejects(upload.commit('packs/ab/abcdef', read), { code: 'DIGEST_MISMATCH' });
  assert.equal(await store.head('packs/ab/abcdef'), undefined, 'nothing stored under the key');
  assert.equal(await stat(upload.path).catch(() => undefined), undefined, 'the file is gone');

  // The same steps with the file left alone store it.
  const ok = store.localUpload();
  const bytes = randomBytes(3000);
  await writeFile(ok.path, bytes);
  let n = 0;
  for await (const chunk of ok.bytes()) n += chunk.byteLength;
  await ok.commit('packs/ab/abcdef', n);
  assert.equal(await store.head('packs/ab/abcdef'), bytes.length);
});

test('a followed local upload is hashed while it is copied and stored whole once finished', async () => {
  if (s.s3) return;
  const ticket = await json<{ id: string; path: string }>(
    call('POST', '/blobs/local-uploads?follow=true'),
  );
  // The file appears only after a while, then grows in three writes with pauses between.
  const parts = [randomBytes(3 << 20), randomBytes(1 << 20), randomBytes(777)];
  await new Promise((r) => setTimeout(r, 50));
  const fh = await open(ticket.path, 'wx');
  for (const p of parts) {
    await fh.write(p);
    await new Promise((r) => setTimeout(r, 40));
  }
  await fh.close();
  const bytes = Buffer.concat(parts);
  const info = await json<BlobInfo>(call('POST', `/blobs/local-uploads/${ticket.id}/finish`));
  assert.deepEqual(info, { sha256: sha256(bytes), md5: md5b64(bytes), size: bytes.length });
  const back = await fetch(`${s.api}/blobs/${info.sha256}`);
  assert.deepEqual(Buffer.from(await back.arrayBuffer()), bytes);
  assert.equal(await stat(ticket.path).catch(() => undefined), undefined, 'the file moved');
});

test('a followed local upload never copied to, or dropped mid-copy, leaves nothing behind', async () => {
  if (s.s3) return;
  const never = await json<{ id: string; path: string }>(
    call('POST', '/blobs/local-uploads?follow=true'),
  );
  const missing = await call('POST', `/blobs/local-uploads/${never.id}/finish`);
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { error: { message: string } }).error.message, /copy/);

  const dropped = await json<{ id: string; path: string }>(
    call('POST', '/blobs/local-uploads?follow=true'),
  );
  await writeFile(dropped.path, randomBytes(2 << 20));
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(await json(call('DELETE', `/blobs/local-uploads/${dropped.id}`)), {
    aborted: true,
  });
  assert.equal(await stat(dropped.path).catch(() => undefined), undefined);
  assert.equal((await call('POST', `/blobs/local-uploads/${dropped.id}/finish`)).status, 404);

  const bad = await call('POST', '/blobs/local-uploads?follow=sometimes');
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: { message: string } }).error.message, /follow/);
});

test('a local upload read with more follows the file as it is written, and ends at the writer’s end', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'cairn-local-follow-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const store = await FsBlobStore.open(root);
  const upload = store.localUpload();
  let done = false;
  let waits = 0;
  const more = async (): Promise<boolean> => {
    waits++;
    await new Promise((r) => setTimeout(r, 2));
    return !done;
  };
  const got: Buffer[] = [];
  let seen = 0;
  const reading = (async () => {
    for await (const chunk of upload.bytes(more)) {
      got.push(Buffer.from(chunk));
      seen += chunk.byteLength;
    }
  })();
  const fh = await open(upload.path, 'wx');
  const parts = [randomBytes(100_000), randomBytes(5000), randomBytes(1)];
  let written = 0;
  for (const p of parts) {
    await fh.write(p);
    written += p.length;
    // Each part is read before the next is written: the reader follows the file as it grows.
    const deadline = Date.now() + 20_000;
    while (seen < written) {
      if (Date.now() > deadline) assert.fail(`the reader stopped at ${seen} of ${written} bytes`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  await fh.close();
  done = true;
  await reading;
  assert.deepEqual(Buffer.concat(got), Buffer.concat(parts));
  assert.ok(waits >= parts.length, `waited at the end of the file so far (${waits} times)`);
  await upload.commit('packs/ab/abcdef', written);
  assert.equal(await store.head('packs/ab/abcdef'), written);
});

test('a followed local upload copied just before finish is found, and one removed before it is stored is a 404', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'cairn-local-late-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const store = await FsBlobStore.open(root);
  // The copy lands while the reader waits, and the client is done at that same moment.
  const upload = store.localUpload();
  const bytes = randomBytes(4000);
  const more = async (): Promise<boolean> => {
    await writeFile(upload.path, bytes);
    return false;
  };
  const got: Buffer[] = [];
  for await (const chunk of upload.bytes(more)) got.push(Buffer.from(chunk));
  assert.deepEqual(Buffer.concat(got), bytes);
  await upload.commit('packs/ab/abcdef', bytes.length);
  assert.equal(await store.head('packs/ab/abcdef'), bytes.length);

  if (s.s3) return;
  const gone = await json<{ id: string; path: string }>(
    call('POST', '/blobs/local-uploads?follow=true'),
  );
  await writeFile(gone.path, randomBytes(3000));
  await new Promise((r) => setTimeout(r, 50)); // the server has it open by now
  await rm(gone.path);
  const res = await call('POST', `/blobs/local-uploads/${gone.id}/finish`);
  assert.equal(res.status, 404);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /copy/);
});
