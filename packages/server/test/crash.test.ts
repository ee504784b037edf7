import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { CommitResult, UploadSession } from '@cairn/core';
import { fileEntry, json, post, putPack, sha256 } from './helpers.js';
import { exited, spawnServer } from './spawned-server.js';

const MiB = 1024 * 1024;

async function tmpBytes(dataDir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(join(dataDir, 'tmp'))) {
    total += (await stat(join(dataDir, 'tmp', name))).size;
  }
  return total;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('SIGKILL during an upload leaves no partial version, and the retry succeeds', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'cairn-crash-'));
  const big = Buffer.alloc(64 * MiB, 3);
  big.write(`unique header ${dataDir}`);
  const small = ['small one', 'small two'];
  const entries = [
    fileEntry('big.bin', big),
    fileEntry('a.txt', small[0] ?? ''),
    fileEntry('b.txt', small[1] ?? ''),
  ];
  const start = { entity: 'alice', project: 'crash', collection: 'data', type: 'dataset' };
  try {
    const first = await spawnServer(dataDir);
    const session = await json<UploadSession>(
      post(`${first.api}/uploads`, { ...start, sha256: entries.map((e) => e.sha256) }),
    );
    assert.equal(session.missing.length, 3);
    await json(putPack(first.api, small), 200);

    // Stream the big blob slowly, and kill the server while the request is still open.
    const req = request(new URL(`${first.api}/blobs/${sha256(big)}`), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': big.length },
    });
    req.on('error', () => undefined);
    let sent = 0;
    while ((await tmpBytes(dataDir)) < 4 * MiB) {
      assert.ok(sent < big.length, 'the server should be writing the blob to a temp file');
      req.write(big.subarray(sent, sent + MiB));
      sent += MiB;
      await sleep(20);
    }
    first.child.kill('SIGKILL');
    await exited(first.child);
    req.destroy();

    const second = await spawnServer(dataDir);
    try {
      assert.deepEqual(await readdir(join(dataDir, 'tmp')), [], 'startup swept temp files');
      const versions = await fetch(
        `${second.api}/versions?entity=alice&project=crash&collection=data`,
      );
      assert.equal(versions.status, 404, 'no version is visible');

      // The index is consistent: every row points at bytes that hash to it.
      const db = new Database(join(dataDir, 'cairn.db'), { readonly: true });
      const rows = db.prepare('select sha256, size from blobs').all() as {
        sha256: string;
        size: number;
      }[];
      db.close();
      assert.deepEqual(rows.map((r) => r.sha256).sort(), small.map((b) => sha256(b)).sort());
      for (const row of rows) {
        const bytes = Buffer.from(
          await (await fetch(`${second.api}/blobs/${row.sha256}`)).arrayBuffer(),
        );
        assert.equal(bytes.length, row.size);
        assert.equal(sha256(bytes), row.sha256);
      }

      // The session from before the crash cannot commit the half-sent blob.
      const stale = await post(`${second.api}/uploads/${session.uploadId}/commit`, { entries });
      assert.equal(stale.status, 400);
      const staleBody = (await stale.json()) as { error: { code: string; message: string } };
      assert.equal(staleBody.error.code, 'MISSING_BLOBS');
      assert.match(staleBody.error.message, /big\.bin/);

      // The same upload, retried from the start, sends only the big blob and succeeds.
      const retry = await json<UploadSession>(
        post(`${second.api}/uploads`, { ...start, sha256: entries.map((e) => e.sha256) }),
      );
      assert.deepEqual(retry.missing, [sha256(big)]);
      await json(
        fetch(`${second.api}/blobs/${sha256(big)}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream' },
          body: big,
        }),
      );
      const done = await json<CommitResult>(
        post(`${second.api}/uploads/${retry.uploadId}/commit`, { entries }),
      );
      assert.equal(done.created, true);
      assert.equal(done.version.index, 0);
      const back = await fetch(`${second.api}/versions/${done.version.id}/file?path=big.bin`);
      assert.equal(sha256(Buffer.from(await back.arrayBuffer())), sha256(big));
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
