import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FRAMES_CONTENT_TYPE, FrameParser } from '@cairn/core';
import { frames, json, post, putPack, sha256, testServer } from './helpers.js';
import type { TestServer } from './helpers.js';

let s: TestServer;
before(async () => {
  s = await testServer();
});
after(async () => {
  await s.close();
});

const storedBytes = (): Promise<number> => s.storedBytes();

async function batch(hashes: string[]): Promise<Map<string, Buffer>> {
  const res = await post(`${s.api}/blobs/batch`, { sha256: hashes });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), FRAMES_CONTENT_TYPE);
  const parser = new FrameParser();
  const got = new Map<string, Buffer>();
  let cur = '';
  let parts: Buffer[] = [];
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    for (const ev of parser.push(chunk)) {
      if (ev.kind === 'start') {
        cur = ev.sha256;
        parts = [];
      } else if (ev.kind === 'data') parts.push(Buffer.from(ev.bytes));
      else got.set(cur, Buffer.concat(parts));
    }
  }
  parser.finish();
  return got;
}

test('a pack mixing many small frames, a repeated frame, a stored blob and a frame above 1 MiB', async () => {
  const stored = randomBytes(100);
  await json(putPack(s.api, [stored]));
  const small = Array.from({ length: 2500 }, (_, i) => randomBytes(i % 7 === 0 ? 0 : 300 + i));
  const large = randomBytes(3 * 1024 * 1024 + 17);
  const sent = [...small.slice(0, 1200), stored, large, small[5] as Buffer, ...small.slice(1200)];
  const answer = await json<{ stored: { sha256: string; size: number }[] }>(putPack(s.api, sent));
  assert.equal(answer.stored.length, sent.length);
  assert.deepEqual(
    answer.stored.map((b) => b.sha256),
    sent.map((b) => sha256(b)),
  );
  // Every blob comes back byte for byte, whatever order the server reads them in.
  const all = [...new Set([...small, large, stored].map((b) => sha256(b)))];
  const got = await batch(all);
  assert.equal(got.size, all.length);
  for (const b of [...small, large, stored]) assert.deepEqual(got.get(sha256(b)), b);
  // Nothing was stored twice: a second identical pack adds no bytes to the object store.
  const before = await storedBytes();
  await json(putPack(s.api, sent));
  assert.equal(await storedBytes(), before);
});

test('a lie anywhere in a pack, even after a large frame, stores and indexes nothing', async () => {
  const ok = Array.from({ length: 1500 }, () => randomBytes(64));
  const large = randomBytes(2 * 1024 * 1024);
  const lie = frames(['not what it claims'], true);
  const body = Buffer.concat([frames([...ok, large]), lie]);
  const res = await fetch(`${s.api}/packs`, {
    method: 'POST',
    headers: { 'content-type': FRAMES_CONTENT_TYPE },
    body,
  });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'DIGEST_MISMATCH');
  const missing = await json<{ missing: string[] }>(
    post(`${s.api}/blobs/missing`, { sha256: [...ok, large].map((b) => sha256(b)) }),
  );
  assert.equal(missing.missing.length, ok.length + 1);

  // A lie inside a batch big enough to be hashed off the main thread, with frames after it.
  const many = Array.from({ length: 1200 }, () => randomBytes(1024));
  const mixed = Buffer.concat([
    frames(many.slice(0, 700)),
    frames([randomBytes(1024)], true),
    frames(many.slice(700)),
  ]);
  const res2 = await fetch(`${s.api}/packs`, {
    method: 'POST',
    headers: { 'content-type': FRAMES_CONTENT_TYPE },
    body: mixed,
  });
  assert.equal(res2.status, 400);
  assert.equal(((await res2.json()) as { error: { code: string } }).error.code, 'DIGEST_MISMATCH');
  const stillMissing = await json<{ missing: string[] }>(
    post(`${s.api}/blobs/missing`, { sha256: many.map((b) => sha256(b)) }),
  );
  assert.equal(stillMissing.missing.length, many.length, 'not one blob of that pack is indexed');
});

test('a batch spanning several packs and stand-alone blobs returns each once', async () => {
  const a = Array.from({ length: 40 }, () => randomBytes(1000));
  const b = Array.from({ length: 40 }, () => randomBytes(1000));
  await json(putPack(s.api, a));
  await json(putPack(s.api, b));
  const alone = randomBytes(5000);
  await json(
    fetch(`${s.api}/blobs/${sha256(alone)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: alone,
    }),
  );
  // Every other blob of each pack (gaps between them), interleaved, with a duplicate request.
  const wanted = [...a.filter((_, i) => i % 2 === 0), alone, ...b.filter((_, i) => i % 3 === 0)];
  const hashes = wanted.map((x) => sha256(x));
  const got = await batch([...hashes, hashes[0] as string]);
  assert.equal(got.size, wanted.length);
  for (const x of wanted) assert.deepEqual(got.get(sha256(x)), x);
});
