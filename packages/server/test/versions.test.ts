import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  manifestDigest,
  type ManifestBody,
  type Page,
  type UploadSession,
  type VersionInfo,
} from '@cairn/core';
import {
  fileEntry,
  json,
  logFiles,
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

test('log, resolve, read the manifest and download the bytes back', async () => {
  const files = { 'a.txt': 'hello', 'dir/b.txt': 'world', empty: '' };
  const r = await logFiles(s.api, { collection: 'round' }, files, {
    aliases: ['best'],
    tags: ['raw data'],
    metadata: { rows: 3 },
    description: 'first',
  });
  assert.equal(r.created, true);
  assert.equal(r.version.index, 0);
  assert.deepEqual(r.version.aliases, ['latest', 'v0', 'best']);
  assert.deepEqual(r.version.tags, ['raw data']);
  assert.equal(r.version.fileCount, 3);
  assert.equal(r.version.size, 10);
  const entries = Object.entries(files).map(([p, b]) => fileEntry(p, b));
  assert.equal(r.version.digest, manifestDigest(entries));

  for (const ref of [
    'alice/proj/round',
    'alice/proj/round:best',
    'alice/proj/round:v0',
    `alice/proj/round@${r.version.digest}`,
    r.version.id,
  ]) {
    const v = await json<VersionInfo>(
      fetch(`${s.api}/versions/resolve?ref=${encodeURIComponent(ref)}`),
    );
    assert.equal(v.id, r.version.id, ref);
  }
  const m = await json<ManifestBody>(fetch(`${s.api}/versions/${r.version.id}/manifest`));
  assert.deepEqual(
    m.entries.map((e) => e.path),
    ['a.txt', 'dir/b.txt', 'empty'],
  );
  assert.equal(m.entries[0]?.birthArtifactId, r.version.id);
  const file = await fetch(`${s.api}/versions/${r.version.id}/file?path=dir/b.txt`);
  assert.equal(await file.text(), 'world');
  const blob = await fetch(`${s.api}/blobs/${sha256('hello')}`);
  assert.equal(await blob.text(), 'hello');
  const empty = await fetch(`${s.api}/versions/${r.version.id}/file?path=empty`);
  assert.equal(empty.status, 200);
  assert.equal(await empty.text(), '');
});

test('dedupe: the second upload of the same bytes sends nothing', async () => {
  const files = { 'x.bin': 'dedupe me', 'y.bin': 'and me' };
  const first = await logFiles(s.api, { collection: 'dd1' }, files);
  assert.equal(first.missing.length, 2);
  const second = await logFiles(s.api, { collection: 'dd2' }, files);
  assert.deepEqual(second.missing, []);
  assert.equal(second.created, true);
});

test('content equal to latest creates no version, and adds aliases to it', async () => {
  const files = { 'same.txt': 'same' };
  const a = await logFiles(s.api, { collection: 'same' }, files);
  const b = await logFiles(s.api, { collection: 'same' }, files, { aliases: ['prod'] });
  assert.equal(b.created, false);
  assert.equal(b.version.id, a.version.id);
  assert.ok(b.version.aliases.includes('prod'));
  const c = await logFiles(s.api, { collection: 'same' }, { 'same.txt': 'changed' });
  assert.equal(c.created, true);
  assert.equal(c.version.index, 1);
});

test('user aliases are unique per collection: assigning one moves it', async () => {
  const a = await logFiles(s.api, { collection: 'mv' }, { f: '1' }, { aliases: ['best'] });
  const b = await logFiles(s.api, { collection: 'mv' }, { f: '2' }, { aliases: ['best'] });
  const va = await json<VersionInfo>(fetch(`${s.api}/versions/${a.version.id}`));
  assert.deepEqual(va.aliases, ['v0']);
  const best = await json<VersionInfo>(fetch(`${s.api}/versions/resolve?ref=alice/proj/mv:best`));
  assert.equal(best.id, b.version.id);
});

test('a commit abandons the sessions it names in releaseUploads; a bad list is a 400', async () => {
  const start = (): Promise<UploadSession> =>
    json<UploadSession>(
      post(`${s.api}/uploads`, {
        entity: 'alice',
        project: 'proj',
        collection: 'released',
        type: 'dataset',
        sha256: [sha256('held')],
      }),
    );
  const early = [await start(), await start()];
  const bad = await logFiles(
    s.api,
    { collection: 'released' },
    { 'a.txt': 'x' },
    {
      releaseUploads: 'all of them',
    },
  ).catch((err: Error) => err);
  assert.ok(bad instanceof Error && /400/.test(bad.message), String(bad));
  await logFiles(
    s.api,
    { collection: 'released' },
    { 'a.txt': 'x' },
    {
      releaseUploads: early.map((u) => u.uploadId),
    },
  );
  for (const u of early) {
    const gone = await fetch(`${s.api}/uploads/${u.uploadId}`, { method: 'DELETE' });
    assert.equal(gone.status, 404, 'abandoned by the commit');
  }
});

test('a commit with missing blobs names the paths and creates no version', async () => {
  const session = await json<{ uploadId: string }>(
    post(`${s.api}/uploads`, {
      entity: 'alice',
      project: 'proj',
      collection: 'miss',
      type: 'dataset',
      sha256: [],
    }),
  );
  const res = await post(`${s.api}/uploads/${session.uploadId}/commit`, {
    entries: [fileEntry('present.txt', 'hello'), fileEntry('lost/one.txt', 'never uploaded')],
  });
  assert.equal(res.status, 400);
  const body = (await res.json()) as {
    error: { code: string; message: string; details: { paths: string[] } };
  };
  assert.equal(body.error.code, 'MISSING_BLOBS');
  assert.match(body.error.message, /lost\/one\.txt/);
  assert.deepEqual(body.error.details.paths, ['lost/one.txt']);
  const list = await fetch(`${s.api}/versions?entity=alice&project=proj&collection=miss`);
  assert.equal(list.status, 404);
});

test('bytes that do not match their SHA-256 are rejected and not stored', async () => {
  const before = await s.objects();
  const put = await fetch(`${s.api}/blobs/${sha256('claimed')}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: 'actual bytes',
  });
  assert.equal(put.status, 400);
  assert.equal(((await put.json()) as { error: { code: string } }).error.code, 'DIGEST_MISMATCH');
  const missing = await json<{ missing: string[] }>(
    post(`${s.api}/blobs/missing`, { sha256: [sha256('claimed'), sha256('actual bytes')] }),
  );
  assert.equal(missing.missing.length, 2);

  const pack = await putPack(s.api, ['packed lie'], true);
  assert.equal(pack.status, 400);
  assert.equal(((await pack.json()) as { error: { code: string } }).error.code, 'DIGEST_MISMATCH');
  const after = await json<{ missing: string[] }>(
    post(`${s.api}/blobs/missing`, { sha256: [sha256('packed lie')] }),
  );
  assert.equal(after.missing.length, 1);
  assert.deepEqual(await s.objects(), before, 'no object stored');
  if (!s.s3) assert.deepEqual(await readdir(join(s.dataDir, 'tmp')), [], 'no temp files left');
});

test('a truncated pack stores nothing', async () => {
  const body = (await import('./helpers.js')).frames(['complete', 'truncated blob']);
  const res = await fetch(`${s.api}/packs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-cairn-frames' },
    body: body.subarray(0, body.length - 3),
  });
  assert.equal(res.status, 400);
  const m = await json<{ missing: string[] }>(
    post(`${s.api}/blobs/missing`, { sha256: [sha256('complete')] }),
  );
  assert.equal(m.missing.length, 1);
});

test('large blobs go alone through PUT; Range requests work', async () => {
  const big = Buffer.alloc(3 * 1024 * 1024 + 7);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
  const sha = sha256(big);
  const put = await json<{ sha256: string; size: number }>(
    fetch(`${s.api}/blobs/${sha}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: big,
    }),
  );
  assert.equal(put.size, big.length);
  const part = await fetch(`${s.api}/blobs/${sha}`, { headers: { range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 100-199/${big.length}`);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), big.subarray(100, 200));
  const tail = await fetch(`${s.api}/blobs/${sha}`, { headers: { range: 'bytes=-5' } });
  assert.deepEqual(Buffer.from(await tail.arrayBuffer()), big.subarray(big.length - 5));
  const bad = await fetch(`${s.api}/blobs/${sha}`, { headers: { range: `bytes=${big.length}-` } });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get('content-range'), `bytes */${big.length}`);
  const whole = await fetch(`${s.api}/blobs/${sha}`);
  assert.equal(sha256(Buffer.from(await whole.arrayBuffer())), sha);

  // A Range inside a packed blob reads only that blob's bytes.
  await logFiles(s.api, { collection: 'ranges' }, { p1: 'first-packed', p2: 'second-packed' });
  const inPack = await fetch(`${s.api}/blobs/${sha256('second-packed')}`, {
    headers: { range: 'bytes=7-' },
  });
  assert.equal(await inPack.text(), 'packed');
});

test('batch download returns framed blobs; unknown hashes are a 404', async () => {
  await logFiles(s.api, { collection: 'batch' }, { a: 'one', b: 'two' });
  const res = await fetch(`${s.api}/blobs/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sha256: [sha256('two'), sha256('one')] }),
  });
  assert.equal(res.status, 200);
  const { FrameParser } = await import('@cairn/core');
  const p = new FrameParser();
  const got: Record<string, string> = {};
  let cur = '';
  for (const ev of p.push(new Uint8Array(await res.arrayBuffer()))) {
    if (ev.kind === 'start') {
      cur = ev.sha256;
      got[cur] = '';
    } else if (ev.kind === 'data') got[cur] += Buffer.from(ev.bytes).toString();
  }
  p.finish();
  assert.deepEqual(got, { [sha256('two')]: 'two', [sha256('one')]: 'one' });
  const missing = await post(`${s.api}/blobs/batch`, { sha256: [sha256('nope')] });
  assert.equal(missing.status, 404);
});

test('20 clients committing at once get v0..v19 and latest on the last', async () => {
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      logFiles(s.api, { collection: 'race' }, { [`f${i}`]: `content ${i}` }),
    ),
  );
  const indexes = results.map((r) => r.version.index).sort((a, b) => a - b);
  assert.deepEqual(
    indexes,
    Array.from({ length: 20 }, (_, i) => i),
  );
  const latest = await json<VersionInfo>(
    fetch(`${s.api}/versions/resolve?ref=alice/proj/race:latest`),
  );
  assert.equal(latest.index, 19);
});

test('pagination of versions, collections and files', async () => {
  for (let i = 0; i < 5; i++)
    await logFiles(s.api, { project: 'paged', collection: `c${i}` }, { [`f${i}`]: `p${i}` });
  for (let i = 0; i < 5; i++)
    await logFiles(s.api, { project: 'paged', collection: 'many' }, { [`v${i}`]: `m${i}` });
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await json<Page<{ name: string }>>(
      fetch(
        `${s.api}/collections?entity=alice&project=paged&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      ),
    );
    assert.ok(page.items.length <= 2);
    seen.push(...page.items.map((c) => c.name));
    cursor = page.nextCursor;
  } while (cursor);
  assert.deepEqual(seen, ['c0', 'c1', 'c2', 'c3', 'c4', 'many']);
  const v1 = await json<Page<VersionInfo>>(
    fetch(`${s.api}/versions?entity=alice&project=paged&collection=many&limit=3`),
  );
  assert.deepEqual(
    v1.items.map((v) => v.index),
    [0, 1, 2],
  );
  const v2 = await json<Page<VersionInfo>>(
    fetch(
      `${s.api}/versions?entity=alice&project=paged&collection=many&limit=3&cursor=${v1.nextCursor}`,
    ),
  );
  assert.deepEqual(
    v2.items.map((v) => v.index),
    [3, 4],
  );
  assert.equal(v2.nextCursor, undefined);
  const bad = await fetch(
    `${s.api}/versions?entity=alice&project=paged&collection=many&cursor=garbage`,
  );
  assert.equal(bad.status, 400);

  const files = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`dir/f${i}`, `file ${i}`]));
  const r = await logFiles(s.api, { project: 'paged', collection: 'files' }, files);
  const p1 = await json<Page<{ path: string }>>(
    fetch(`${s.api}/versions/${r.version.id}/files?limit=4`),
  );
  const p2 = await json<Page<{ path: string }>>(
    fetch(`${s.api}/versions/${r.version.id}/files?limit=4&cursor=${p1.nextCursor}`),
  );
  assert.equal(p1.items.length + p2.items.length, 7);
  const named = await json<Page<{ path: string }>>(
    fetch(`${s.api}/versions/${r.version.id}/files?names=dir/f1,dir/f3`),
  );
  assert.deepEqual(named.items.map((e) => e.path).sort(), ['dir/f1', 'dir/f3']);
});

test('updates after commit, and delete refused while aliased', async () => {
  const r = await logFiles(s.api, { collection: 'edit' }, { f: 'edit me' }, { aliases: ['keep'] });
  const patch = (body: unknown) =>
    fetch(`${s.api}/versions/${r.version.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const v = await json<VersionInfo>(
    patch({ description: 'new', metadata: { acc: 0.9 }, aliases: ['prod', 'keep'], tags: ['t1'] }),
  );
  assert.equal(v.description, 'new');
  assert.deepEqual(v.metadata, { acc: 0.9 });
  assert.deepEqual(v.aliases, ['latest', 'v0', 'keep', 'prod']);
  assert.deepEqual(v.tags, ['t1']);
  const refused = await fetch(`${s.api}/versions/${r.version.id}`, { method: 'DELETE' });
  assert.equal(refused.status, 409);
  assert.match(
    ((await refused.json()) as { error: { message: string } }).error.message,
    /keep, prod/,
  );
  const ok = await fetch(`${s.api}/versions/${r.version.id}?deleteAliases=true`, {
    method: 'DELETE',
  });
  assert.equal(ok.status, 200);
  assert.equal((await fetch(`${s.api}/versions/${r.version.id}`)).status, 404);
  assert.equal((await fetch(`${s.api}/versions/resolve?ref=alice/proj/edit:keep`)).status, 404);
});

test('deleting the latest version moves latest back', async () => {
  const a = await logFiles(s.api, { collection: 'back' }, { f: 'one' });
  const b = await logFiles(s.api, { collection: 'back' }, { f: 'two' });
  assert.equal(
    (await fetch(`${s.api}/versions/${b.version.id}`, { method: 'DELETE' })).status,
    200,
  );
  const latest = await json<VersionInfo>(fetch(`${s.api}/versions/resolve?ref=alice/proj/back`));
  assert.equal(latest.id, a.version.id);
  const c = await logFiles(s.api, { collection: 'back' }, { f: 'three' });
  assert.equal(c.version.index, 2, 'version numbers are never reused');
});

test('a manifest served again is the same, per version; a deleted version stays 404 after', async () => {
  const a = await logFiles(s.api, { collection: 'memo' }, { x: 'one', y: 'two' });
  const b = await logFiles(s.api, { collection: 'memo' }, { x: 'three' });
  const manifest = (id: string) => fetch(`${s.api}/versions/${id}/manifest`);
  const paths = async (id: string) =>
    (await json<ManifestBody>(manifest(id))).entries.map((e) => [e.path, e.size]);
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(await paths(a.version.id), [
      ['x', 3],
      ['y', 3],
    ]);
    assert.deepEqual(await paths(b.version.id), [['x', 5]]);
  }
  assert.equal(
    (await fetch(`${s.api}/versions/${b.version.id}`, { method: 'DELETE' })).status,
    200,
  );
  assert.equal((await manifest(b.version.id)).status, 404);
  assert.deepEqual((await paths(a.version.id)).length, 2);
});

test('invalid names, types, aliases, tags and metadata get a 400 naming the rule', async () => {
  const start = (over: Record<string, unknown>) =>
    post(`${s.api}/uploads`, {
      entity: 'alice',
      project: 'proj',
      collection: 'ok',
      type: 'dataset',
      sha256: [],
      ...over,
    });
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ collection: 'bad/name' }, /letters, digits/],
    [{ collection: 'x'.repeat(129) }, /limit is 128/],
    [{ type: 'a:b' }, /must not contain/],
    [{ entity: 'bad entity' }, /entity name/],
    [{ sha256: ['xyz'] }, /SHA-256/],
  ];
  for (const [over, msg] of cases) {
    const res = await start(over);
    assert.equal(res.status, 400, JSON.stringify(over));
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'VALIDATION');
    assert.match(body.error.message, msg);
  }
  const session = await json<{ uploadId: string }>(start({}));
  const commit = (extra: Record<string, unknown>) =>
    post(`${s.api}/uploads/${session.uploadId}/commit`, { entries: [], ...extra });
  const commitCases: [Record<string, unknown>, RegExp][] = [
    [{ aliases: ['latest'] }, /managed by the server/],
    [{ aliases: ['a:b'] }, /must not contain/],
    [{ tags: ['bad:tag'] }, /must match/],
    [
      { metadata: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])) },
      /limit is 100/,
    ],
    [{ entries: [{ path: '../escape', digest: 'x', size: 1, ref: 'https://x' }] }, /\.\./],
    [{ entries: [{ path: '/etc/passwd', digest: 'x', size: 1, ref: 'https://x' }] }, /absolute/],
  ];
  for (const [extra, msg] of commitCases) {
    const res = await commit(extra);
    assert.equal(res.status, 400, JSON.stringify(extra).slice(0, 80));
    assert.match(((await res.json()) as { error: { message: string } }).error.message, msg);
  }
  // NaN cannot travel as JSON; a literal NaN in the body is malformed JSON, still a 400.
  const raw = await fetch(`${s.api}/uploads/${session.uploadId}/commit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"entries":[],"metadata":{"x":NaN}}',
  });
  assert.equal(raw.status, 400);
});

test('a collection keeps its type', async () => {
  await logFiles(s.api, { collection: 'typed', type: 'model' }, { f: 'm' });
  const res = await logFiles(s.api, { collection: 'typed', type: 'dataset' }, { f: 'd' }).catch(
    (e: Error) => e,
  );
  assert.ok(res instanceof Error);
  assert.match(res.message, /409.*has type.*model.*not.*dataset/);
});

test('the OpenAPI document describes the routes', async () => {
  const doc = await json<{ openapi: string; paths: Record<string, unknown> }>(
    fetch(`${s.api}/openapi.json`),
  );
  assert.match(doc.openapi, /^3\./);
  for (const p of [
    '/api/v1/uploads',
    '/api/v1/uploads/{id}/commit',
    '/api/v1/versions/resolve',
    '/api/v1/blobs/{sha256}',
    '/api/v1/packs',
  ]) {
    assert.ok(p in doc.paths, p);
  }
});
