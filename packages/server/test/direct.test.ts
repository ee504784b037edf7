import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type {
  BlobLocations,
  CommitResult,
  DirectTransferInfo,
  DirectUploadTargets,
  UploadSession,
} from '@cairn/core';
import { fileEntry, frames, json, post, s3ServerOptions, sha256, testServer } from './helpers.js';
import type { TestServer } from './helpers.js';
import { S3BlobStore } from '../src/store/blob/s3-blob-store.js';
import type { S3Location } from '../src/store/blob/s3-location.js';
import { testS3, type TestS3 } from './s3.js';

let s3: TestS3;
let s: TestServer;
before(async () => {
  s3 = await testS3();
  const loc = s3.location(true);
  s = await testServer(s3ServerOptions(loc), loc);
});
after(async () => {
  await s.close();
  await s3.close();
});

let n = 0;
async function session(files: (string | Uint8Array)[]): Promise<UploadSession> {
  return json<UploadSession>(
    post(`${s.api}/uploads`, {
      entity: 'alice',
      project: 'direct',
      collection: `c${n++}`,
      type: 'dataset',
      sha256: files.map((f) => sha256(f)),
    }),
  );
}

function targets(id: string, body: unknown): Promise<DirectUploadTargets> {
  return json<DirectUploadTargets>(post(`${s.api}/direct/uploads/${id}/targets`, body));
}

async function putTo(url: string, body: Uint8Array): Promise<void> {
  const res = await fetch(url, { method: 'PUT', body });
  assert.equal(res.status, 200, await res.text());
}

const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;

test('the server offers direct transfer only where clients can reach the store', async () => {
  assert.deepEqual((await json<DirectTransferInfo>(fetch(`${s.api}/direct`))).enabled, true);
  const local = await testServer({ blobsUrl: '' });
  try {
    assert.equal(local.s3, undefined);
    assert.equal((await json<DirectTransferInfo>(fetch(`${local.api}/direct`))).enabled, false);
    const res = await post(`${local.api}/direct/blobs/locate`, { sha256: [] });
    assert.equal(res.status, 409);
    assert.match((await errorOf(res)).message, /through \/blobs and \/packs/);
  } finally {
    await local.close();
  }
});

test('a pack and a large blob PUT to presigned URLs, verified, committed, read back by range', async () => {
  const small = ['one', 'two', 'three'];
  const big = Buffer.alloc(3 * 1024 * 1024, 7);
  big.write('a large blob of its own');
  const sess = await session([...small, big]);
  assert.equal(sess.missing.length, 4);
  const t = await targets(sess.uploadId, {
    packs: 1,
    blobs: [{ sha256: sha256(big), size: big.length }],
  });
  const [pack] = t.packs;
  const [blob] = t.blobs;
  assert.ok(pack && blob);
  const before = await s.objects();
  await putTo(pack.url, frames(small));
  await putTo(blob.url, big);
  assert.deepEqual(await s.objects(), before, 'nothing is a blob before complete');
  const missingBefore = await json<{ missing: string[] }>(
    post(`${s.api}/blobs/missing`, { sha256: [sha256(big)] }),
  );
  assert.equal(missingBefore.missing.length, 1, 'an uploaded, unverified object is not present');

  const done = await json<{ stored: { sha256: string }[] }>(
    post(`${s.api}/direct/uploads/${sess.uploadId}/complete`, {
      packs: [pack.id],
      blobs: [{ id: blob.id, sha256: sha256(big) }],
    }),
  );
  assert.equal(done.stored.length, 4);
  const entries = [...small.map((b, i) => fileEntry(`f${i}`, b)), fileEntry('big.bin', big)];
  const commit = await json<CommitResult>(
    post(`${s.api}/uploads/${sess.uploadId}/commit`, { entries }),
  );
  assert.equal(commit.created, true);

  // A client that PUTs other bytes to its old URL afterwards changes nothing that is indexed.
  await putTo(blob.url, Buffer.from('overwritten'));
  const loc = await json<BlobLocations>(
    post(`${s.api}/direct/blobs/locate`, { sha256: [...small, big].map((b) => sha256(b)) }),
  );
  assert.equal(loc.items.length, 4);
  for (const item of loc.items) {
    const res = await fetch(item.url, {
      headers: { range: `bytes=${item.offset}-${item.offset + item.size - 1}` },
    });
    assert.equal(res.status, 206);
    assert.equal(sha256(Buffer.from(await res.arrayBuffer())), item.sha256);
  }
  // Through the server too, from the same objects.
  const back = await fetch(`${s.api}/versions/${commit.version.id}/file?path=big.bin`);
  assert.equal(sha256(Buffer.from(await back.arrayBuffer())), sha256(big));
});

test('bytes that do not match the declared SHA-256 are never indexed, and nothing remains', async () => {
  const claimed = Buffer.alloc(2 * 1024 * 1024, 1);
  const sess = await session([claimed, 'honest']);
  const t = await targets(sess.uploadId, {
    packs: 1,
    blobs: [{ sha256: sha256(claimed), size: claimed.length }],
  });
  const before = await s.objects();
  await putTo(t.blobs[0]?.url ?? '', Buffer.alloc(2 * 1024 * 1024, 2));
  const res = await post(`${s.api}/direct/uploads/${sess.uploadId}/complete`, {
    blobs: [{ id: t.blobs[0]?.id, sha256: sha256(claimed) }],
  });
  assert.equal(res.status, 400);
  assert.equal((await errorOf(res)).code, 'DIGEST_MISMATCH');

  // A pack with one lying frame stores none of its frames.
  await putTo(t.packs[0]?.url ?? '', Buffer.concat([frames(['honest']), frames(['liar'], true)]));
  const bad = await post(`${s.api}/direct/uploads/${sess.uploadId}/complete`, {
    packs: [t.packs[0]?.id],
  });
  assert.equal((await errorOf(bad)).code, 'DIGEST_MISMATCH');

  const still = await json<{ missing: string[] }>(
    post(`${s.api}/blobs/missing`, { sha256: [sha256(claimed), sha256('honest')] }),
  );
  assert.equal(still.missing.length, 2);
  const commit = await post(`${s.api}/uploads/${sess.uploadId}/commit`, {
    entries: [fileEntry('claimed.bin', claimed)],
  });
  assert.equal((await errorOf(commit)).code, 'MISSING_BLOBS');
  assert.deepEqual(await s.objects(), before, 'no copy or staged object left');
});

test('completing a target nothing was PUT to, or an id never handed out, is refused', async () => {
  const sess = await session(['x']);
  const t = await targets(sess.uploadId, { packs: 1, blobs: [] });
  const none = await post(`${s.api}/direct/uploads/${sess.uploadId}/complete`, {
    packs: [t.packs[0]?.id],
  });
  assert.equal(none.status, 400);
  assert.equal((await errorOf(none)).code, 'MISSING_BLOBS');
  const bogus = await post(`${s.api}/direct/uploads/${sess.uploadId}/complete`, {
    packs: ['../../packs/aa/x'],
  });
  assert.equal((await errorOf(bogus)).code, 'VALIDATION');
  const gone = await post(`${s.api}/direct/uploads/0123456789abcdef0123456789abcdef/targets`, {
    packs: 1,
    blobs: [],
  });
  assert.equal(gone.status, 404);
  const tooBig = await post(`${s.api}/direct/uploads/${sess.uploadId}/targets`, {
    packs: 0,
    blobs: [{ sha256: sha256('x'), size: 6 * 1024 ** 3 }],
  });
  assert.equal((await errorOf(tooBig)).code, 'VALIDATION');
});

test('garbage collection removes objects PUT for an upload that was abandoned', async () => {
  const bucket = await S3BlobStore.open(s.s3 as S3Location);
  const sess = await session(['abandoned']);
  const staged = async () => {
    const out: string[] = [];
    for await (const k of bucket.list(`incoming/${sess.uploadId}`)) out.push(k);
    return out;
  };
  try {
    const t = await targets(sess.uploadId, { packs: 1, blobs: [] });
    await putTo(t.packs[0]?.url ?? '', frames(['abandoned']));
    assert.equal((await staged()).length, 1);
    await json(post(`${s.api}/gc`, { graceMs: 0 }));
    assert.equal((await staged()).length, 1, 'kept while its upload lives');
    await fetch(`${s.api}/uploads/${sess.uploadId}`, { method: 'DELETE' });
    const r = await json<{ orphansFound: number; objectsDeleted: number }>(
      post(`${s.api}/gc`, { graceMs: 0 }),
    );
    assert.ok(r.orphansFound >= 1 && r.objectsDeleted >= 1);
    assert.deepEqual(await staged(), []);
  } finally {
    await bucket.close();
  }
});
