import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import type { CommitResult, UploadSession, VersionInfo } from '@cairn/core';
import {
  fileEntry,
  frames,
  json,
  post,
  putPack,
  sha256,
  testServer,
  type TestServer,
} from './helpers.js';

let s: TestServer;
before(async () => {
  s = await testServer();
});
after(async () => {
  await s.close();
});

async function files(dir: string): Promise<string[]> {
  const all = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return all
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const objects = (): Promise<string[]> => s.objects();

function putBlob(bytes: Uint8Array | string, sha = sha256(bytes)): Promise<Response> {
  return fetch(`${s.api}/blobs/${sha}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
}

test('round trip: small files in one pack, a large file alone, bytes back exactly', async () => {
  const big = Buffer.alloc(5 * 1024 * 1024 + 3);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 12)) & 0xff;
  const small = Object.fromEntries(
    Array.from({ length: 50 }, (_, i) => [`small/f${i}.txt`, `small file ${i}`]),
  );
  const entries = [
    fileEntry('model.bin', big),
    ...Object.entries(small).map(([p, b]) => fileEntry(p, b)),
  ];
  const before = await objects();
  const session = await json<UploadSession>(
    post(`${s.api}/uploads`, {
      entity: 'bob',
      project: 'vision/mnist',
      collection: 'weights',
      type: 'model',
      sha256: entries.map((e) => e.sha256),
    }),
  );
  assert.equal(session.missing.length, 51);
  await json(putBlob(big));
  const packed = await json<{ stored: { sha256: string }[] }>(putPack(s.api, Object.values(small)));
  assert.equal(packed.stored.length, 50);
  const added = (await objects()).filter((o) => !before.includes(o));
  assert.ok(added.includes(`blobs/${sha256(big).slice(0, 2)}/${sha256(big)}`), 'big stands alone');
  assert.equal(added.filter((o) => o.startsWith('packs')).length, 1, 'fifty small blobs, one pack');
  assert.equal(added.length, 2);

  const done = await json<CommitResult>(
    post(`${s.api}/uploads/${session.uploadId}/commit`, { entries, aliases: ['prod'] }),
  );
  assert.equal(done.created, true);
  const v = await json<VersionInfo>(
    fetch(`${s.api}/versions/resolve?ref=${encodeURIComponent('bob/vision/mnist/weights:prod')}`),
  );
  assert.equal(v.id, done.version.id);
  assert.equal(v.project, 'vision/mnist');
  assert.equal(v.fileCount, 51);
  const got = await fetch(`${s.api}/versions/${v.id}/file?path=model.bin`);
  assert.equal(got.headers.get('x-cairn-md5'), entries[0]?.digest);
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(big));
  const one = await fetch(`${s.api}/versions/${v.id}/file?path=./small/f7.txt`);
  assert.equal(await one.text(), 'small file 7');
  const part = await fetch(`${s.api}/versions/${v.id}/file?path=small/f12.txt`, {
    headers: { range: 'bytes=6-9' },
  });
  assert.equal(part.status, 206);
  assert.equal(await part.text(), 'file');

  // The same commit retried (an answer lost on the way) finds the version it made.
  const again = await json<CommitResult>(
    post(`${s.api}/uploads/${session.uploadId}/commit`, { entries }),
  );
  assert.equal(again.created, false);
  assert.equal(again.version.id, v.id);
});

test('the artifact digest is W&B’s: MD5 over the sorted "path:digest" lines', async () => {
  const r = await json<CommitResult>(
    (async () => {
      const entries = [fileEntry('b/z.txt', 'zz'), fileEntry('a.txt', 'aa'), fileEntry('B', 'b')];
      const session = await json<UploadSession>(
        post(`${s.api}/uploads`, {
          entity: 'bob',
          project: 'p',
          collection: 'wb',
          type: 'dataset',
          sha256: entries.map((e) => e.sha256),
        }),
      );
      await json(putPack(s.api, ['zz', 'aa', 'b']));
      return post(`${s.api}/uploads/${session.uploadId}/commit`, { entries });
    })(),
  );
  const md5 = (x: string) => createHash('md5').update(x).digest('base64');
  const expected = createHash('md5')
    .update(`wandb-artifact-manifest-v1\nB:${md5('b')}\na.txt:${md5('aa')}\nb/z.txt:${md5('zz')}\n`)
    .digest('hex');
  assert.equal(r.version.digest, expected);
});

test('a pack of blobs already stored writes nothing new', async () => {
  const blobs = ['dup one', 'dup two', 'dup one'];
  const first = await json<{ stored: unknown[] }>(putPack(s.api, blobs));
  assert.equal(first.stored.length, 3);
  const before = await objects();
  const second = await json<{ stored: { sha256: string }[] }>(putPack(s.api, blobs));
  assert.deepEqual(
    second.stored.map((b) => b.sha256),
    blobs.map((b) => sha256(b)),
  );
  assert.deepEqual(await objects(), before);
});

test('a request with one lying frame stores nothing, not even its honest frames', async () => {
  const before = await objects();
  const body = Buffer.concat([frames(['honest frame']), frames(['lying frame'], true)]);
  const res = await fetch(`${s.api}/packs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-cairn-frames' },
    body,
  });
  assert.equal(res.status, 400);
  const err = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(err.error.code, 'DIGEST_MISMATCH');
  assert.match(err.error.message, new RegExp(sha256('something else')));
  const missing = await json<{ missing: string[] }>(
    post(`${s.api}/blobs/missing`, { sha256: [sha256('honest frame'), sha256('lying frame')] }),
  );
  assert.equal(missing.missing.length, 2);
  assert.deepEqual(await objects(), before, 'no object left behind');
  // On the filesystem the temp file is gone too (S3 has no temp objects: an unfinished write
  // is an aborted multipart upload, never visible).
  if (!s.s3) assert.deepEqual(await files(join(s.dataDir, 'tmp')), []);

  const put = await putBlob('the real bytes', sha256('claimed bytes'));
  assert.equal(put.status, 400);
  assert.deepEqual(await objects(), before);
});

test('blob routes take the body as bytes whatever its content type says', async () => {
  const asJson = await json<{ sha256: string; size: number }>(
    fetch(`${s.api}/blobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"not":"parsed"}',
    }),
  );
  assert.equal(asJson.sha256, sha256('{"not":"parsed"}'));
  const form = 'a=1&b=2';
  const asForm = await fetch(`${s.api}/blobs/${sha256(form)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  assert.equal(asForm.status, 200);
  assert.equal(await (await fetch(`${s.api}/blobs/${sha256(form)}`)).text(), form);
  // A JSON route still wants JSON, and says so with a 400 rather than a 415 or 500.
  const wrong = await fetch(`${s.api}/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: 'x',
  });
  assert.equal(wrong.status, 400);
  assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'BAD_REQUEST');
});

test('aliases: latest and vN cannot be assigned by PATCH; a user alias moves', async () => {
  const log = async (content: string) => {
    const e = fileEntry('f', content);
    const session = await json<UploadSession>(
      post(`${s.api}/uploads`, {
        entity: 'bob',
        project: 'p',
        collection: 'patch',
        type: 'dataset',
        sha256: [e.sha256],
      }),
    );
    await json(putPack(s.api, [content]));
    return (
      await json<CommitResult>(
        post(`${s.api}/uploads/${session.uploadId}/commit`, { entries: [e] }),
      )
    ).version;
  };
  const a = await log('one');
  const b = await log('two');
  const patch = (id: string, body: unknown) =>
    fetch(`${s.api}/versions/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  for (const alias of ['latest', 'v3']) {
    const res = await patch(a.id, { aliases: [alias] });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /managed/);
  }
  const bad = await patch(a.id, { tags: ['no:colons'] });
  assert.equal(bad.status, 400);
  await json(patch(a.id, { aliases: ['stable'] }));
  const moved = await json<VersionInfo>(patch(b.id, { aliases: ['stable'] }));
  assert.deepEqual(moved.aliases, ['latest', 'v1', 'stable']);
  const old = await json<VersionInfo>(fetch(`${s.api}/versions/${a.id}`));
  assert.deepEqual(old.aliases, ['v0']);
});
