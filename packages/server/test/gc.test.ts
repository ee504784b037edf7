import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ManifestBody } from '@cairn/core';
import { json, logFiles, post, sha256, testServer, type TestServer } from './helpers.js';

let s: TestServer;
before(async () => {
  s = await testServer({ gcIntervalMs: 0 });
});
after(async () => {
  await s.close();
});

interface Report {
  blobsUnlinked: number;
  packsDropped: number;
  packsRepacked: number;
  orphansFound: number;
  objectsDeleted: number;
}

const gc = (graceMs = 0) => json<Report>(post(`${s.api}/gc`, { graceMs }));
const missing = async (blobs: string[]) =>
  (await json<{ missing: string[] }>(post(`${s.api}/blobs/missing`, { sha256: blobs.map(sha256) })))
    .missing.length;
const del = (id: string) =>
  fetch(`${s.api}/versions/${id}?deleteAliases=true`, { method: 'DELETE' });

const objects = (): Promise<string[]> => s.objects();

async function downloadAll(id: string): Promise<Record<string, string>> {
  const m = await json<ManifestBody>(fetch(`${s.api}/versions/${id}/manifest`));
  const out: Record<string, string> = {};
  for (const e of m.entries) {
    const res = await fetch(`${s.api}/versions/${id}/file?path=${encodeURIComponent(e.path)}`);
    assert.equal(res.status, 200, e.path);
    out[e.path] = await res.text();
  }
  return out;
}

test('bytes only a deleted version used are collected; shared and live bytes stay', async () => {
  const a = await logFiles(
    s.api,
    { collection: 'gc1' },
    { shared: 'shared bytes', only: 'only in A' },
  );
  const b = await logFiles(
    s.api,
    { collection: 'gc1' },
    { shared: 'shared bytes', other: 'B only' },
  );
  assert.equal((await del(a.version.id)).status, 200);
  const r = await gc();
  assert.ok(r.blobsUnlinked >= 1);
  assert.equal(await missing(['only in A']), 1, 'the unused blob is gone from the index');
  assert.equal(await missing(['shared bytes', 'B only']), 0);
  assert.deepEqual(await downloadAll(b.version.id), { other: 'B only', shared: 'shared bytes' });
});

test('a sparse pack is repacked, its live files still download, its old object goes', async () => {
  const files = Object.fromEntries(
    Array.from({ length: 10 }, (_, i) => [`f${i}`, `repack ${i} `.repeat(50)]),
  );
  const big = await logFiles(s.api, { collection: 'gc2' }, files);
  const keep = { f0: files['f0'] as string, f1: files['f1'] as string };
  const small = await logFiles(s.api, { collection: 'gc3' }, keep);
  assert.deepEqual(small.missing, [], 'the small version reuses the packed bytes');
  const before = await objects();
  assert.equal((await del(big.version.id)).status, 200);
  const r = await gc();
  assert.ok(r.packsRepacked >= 1, JSON.stringify(r));
  assert.deepEqual(await downloadAll(small.version.id), keep);
  const after = await objects();
  const gone = before.filter((k) => !after.includes(k));
  assert.ok(gone.length >= 1, 'the old pack object was deleted');
  // A second collection finds nothing more to do, and the files are still there.
  const again = await gc();
  assert.equal(again.packsRepacked, 0);
  assert.deepEqual(await downloadAll(small.version.id), keep);
});

test('with a grace period, unlinked bytes stay readable until it has passed', async () => {
  const v = await logFiles(s.api, { collection: 'gc4' }, { g: 'graceful bytes' });
  assert.equal((await del(v.version.id)).status, 200);
  const before = await objects();
  const r = await gc(60_000);
  assert.ok(r.blobsUnlinked >= 1);
  assert.equal(r.objectsDeleted, 0);
  assert.deepEqual(await objects(), before, 'no bytes deleted inside the grace period');
});

test('an upload session pins its blobs: a sweep between start and commit breaks nothing', async () => {
  const v = await logFiles(s.api, { collection: 'gc5' }, { p: 'pinned bytes' });
  assert.equal((await del(v.version.id)).status, 200);
  const { fileEntry } = await import('./helpers.js');
  const entry = fileEntry('p', 'pinned bytes');
  const session = await json<{ uploadId: string; missing: string[] }>(
    post(`${s.api}/uploads`, {
      entity: 'alice',
      project: 'proj',
      collection: 'gc6',
      type: 'dataset',
      sha256: [entry.sha256],
    }),
  );
  assert.deepEqual(session.missing, [], 'the server still has the bytes');
  await gc();
  const done = await json<{ created: boolean }>(
    post(`${s.api}/uploads/${session.uploadId}/commit`, { entries: [entry] }),
  );
  assert.equal(done.created, true);
});

test('objects nobody indexed (a crash mid-write) are found and deleted', async () => {
  await s.writeObject('packs/ff/ff00000000000000000000000000dead', Buffer.from('orphaned bytes'));
  const r = await gc();
  assert.ok(r.orphansFound >= 1);
  assert.ok(!(await objects()).includes('packs/ff/ff00000000000000000000000000dead'));
});

test('collection running beside uploaders and downloaders breaks none of them', async () => {
  const stop = Date.now() + 3000;
  let sweeps = 0;
  const sweeper = (async () => {
    while (Date.now() < stop) {
      // A short grace, as a real one is long: an object written a moment before its index
      // rows must outlive the sweep that sees it unindexed.
      await gc(300);
      sweeps++;
    }
  })();
  const versions: { id: string; files: Record<string, string> }[] = [];
  const workers = Array.from({ length: 6 }, async (_, w) => {
    let i = 0;
    while (Date.now() < stop) {
      const files = { [`w${w}/a`]: `worker ${w} round ${i}`, [`w${w}/shared`]: 'common bytes' };
      const r = await logFiles(s.api, { collection: `race${w}` }, files);
      versions.push({ id: r.version.id, files });
      assert.deepEqual(await downloadAll(r.version.id), files);
      if (i % 2 === 1) await del(r.version.id);
      else versions.push({ id: r.version.id, files });
      i++;
    }
  });
  await Promise.all([sweeper, ...workers]);
  assert.ok(sweeps >= 2, `only ${sweeps} sweeps ran`);
  await gc();
  for (const v of versions) {
    const res = await fetch(`${s.api}/versions/${v.id}`);
    if (res.status === 404) continue; // deleted on purpose
    assert.deepEqual(await downloadAll(v.id), v.files);
  }
});
