import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CommitResult, ManifestBody, UploadSession } from '@cairn/core';
import { fileEntry, json, post, putPack, sha256, testServer, type TestServer } from './helpers.js';

// The soak of issue 3: garbage collection running beside 10 uploaders and downloaders for a
// minute (CAIRN_GC_SOAK_MS), then every committed version verified. It runs once per
// `npm test`: in the PostgreSQL pass when there is one (real concurrent transactions), else
// in the SQLite pass.
const DURATION_MS = Number(process.env['CAIRN_GC_SOAK_MS'] ?? 60_000);
const WORKERS = 10;
const laterPass = process.env['CAIRN_TEST_POSTGRES_PASS_FOLLOWS'] === '1';

let s: TestServer;
before(async () => {
  if (!laterPass) s = await testServer({ gcIntervalMs: 0 });
});
after(async () => {
  await s?.close();
});

// A small pool of contents: the same bytes are deleted and uploaded again and again, so
// collections keep retiring keys that writers then store anew (rule 10). Every fourth
// content is sent alone (PUT /blobs/:sha256), the rest in packs.
const POOL = Array.from({ length: 24 }, (_, i) =>
  `pooled content ${i} `.repeat(i % 4 === 0 ? 400 : 8),
);

async function logVersion(collection: string, files: Record<string, string>): Promise<string> {
  const entries = Object.entries(files).map(([p, b]) => fileEntry(p, b));
  const session = await json<UploadSession>(
    post(`${s.api}/uploads`, {
      entity: 'soak',
      project: 'gc',
      collection,
      type: 'dataset',
      sha256: entries.map((e) => e.sha256),
    }),
  );
  const bySha = new Map(Object.values(files).map((b) => [sha256(b), b]));
  const packed: string[] = [];
  for (const sha of session.missing) {
    const bytes = bySha.get(sha) ?? '';
    if (bytes.length < 1000) packed.push(bytes);
    else {
      const res = await fetch(`${s.api}/blobs/${sha}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      assert.equal(res.status, 200, `PUT /blobs: ${await res.text()}`);
    }
  }
  if (packed.length > 0) await json(putPack(s.api, packed));
  const r = await json<CommitResult>(
    post(`${s.api}/uploads/${session.uploadId}/commit`, { entries }),
  );
  return r.version.id;
}

/** Downloads every file of a version and checks it against its manifest's SHA-256. */
async function verify(id: string, files: Record<string, string>): Promise<void> {
  const m = await json<ManifestBody>(fetch(`${s.api}/versions/${id}/manifest`));
  assert.deepEqual(m.entries.map((e) => e.path).sort(), Object.keys(files).sort());
  for (const e of m.entries) {
    const res = await fetch(`${s.api}/versions/${id}/file?path=${encodeURIComponent(e.path)}`);
    assert.equal(res.status, 200, `version ${id} ${e.path}: HTTP ${res.status}`);
    const body = await res.text();
    assert.equal(body, files[e.path], `version ${id} ${e.path}: wrong bytes`);
    assert.equal(sha256(body), e.sha256);
  }
}

test(
  `GC beside ${WORKERS} uploaders and downloaders for ${DURATION_MS / 1000} s: no download fails, every committed version verifies`,
  {
    skip: laterPass ? 'runs once, in the PostgreSQL pass that follows' : false,
    timeout: DURATION_MS + 120_000,
  },
  async () => {
    const stop = Date.now() + DURATION_MS;
    const kept: { id: string; files: Record<string, string> }[] = [];
    let sweeps = 0;
    let downloads = 0;
    let deleted = 0;
    const sweeper = (async () => {
      while (Date.now() < stop) {
        await json(post(`${s.api}/gc`, { graceMs: 300 }));
        sweeps++;
      }
    })();
    const workers = Array.from({ length: WORKERS }, async (_, w) => {
      for (let i = 0; Date.now() < stop; i++) {
        const pick = (k: number) => POOL[(w * 7 + i * 3 + k) % POOL.length] as string;
        const files = { a: pick(0), b: pick(1), [`own/${w}`]: `worker ${w} round ${i}` };
        const id = await logVersion(`soak${w % 3}`, files);
        await verify(id, files);
        downloads++;
        if (i % 2 === 1) {
          // Deleted by its writer only: downloaders read kept versions, which nobody deletes.
          const res = await fetch(`${s.api}/versions/${id}?deleteAliases=true`, {
            method: 'DELETE',
          });
          assert.equal(res.status, 200);
          deleted++;
        } else kept.push({ id, files });
        const other = kept[Math.floor(Math.random() * kept.length)];
        if (other) {
          await verify(other.id, other.files);
          downloads++;
        }
      }
    });
    await Promise.all([sweeper, ...workers]);
    assert.ok(sweeps >= 3, `only ${sweeps} collections ran`);
    await json(post(`${s.api}/gc`, { graceMs: 0 }));
    for (const v of kept) await verify(v.id, v.files);
    console.log(
      `# soak: ${sweeps} collections, ${kept.length + deleted} versions (${deleted} deleted), ${downloads} downloads during, ${kept.length} verified after`,
    );
  },
);
