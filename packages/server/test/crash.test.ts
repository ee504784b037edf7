import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { UploadSession } from '@cairn/core';
import { fileEntry, json, post, sha256 } from './helpers.js';

const serve = fileURLToPath(new URL('../src/serve.ts', import.meta.url));

async function spawnServer(dataDir: string): Promise<{ child: ChildProcess; api: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', serve], {
    env: { ...process.env, CAIRN_PORT: '0', CAIRN_DATA_DIR: dataDir, CAIRN_API_KEY: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
  });
  return { child, api: `${url}/api/v1` };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
  );
}

test('SIGKILL during an upload leaves no partial version, and the retry succeeds', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'cairn-crash-'));
  const big = Buffer.alloc(16 * 1024 * 1024, 3);
  big.write('unique header for this test');
  const small = 'small file bytes';
  const entries = [fileEntry('big.bin', big), fileEntry('small.txt', small)];
  const where = { entity: 'alice', project: 'crash', collection: 'data', type: 'dataset' };
  try {
    const first = await spawnServer(dataDir);
    const session = await json<UploadSession>(
      post(`${first.api}/uploads`, { ...where, sha256: entries.map((e) => e.sha256) }),
    );
    assert.equal(session.missing.length, 2);

    // Stream half of the big blob, then kill the server while the request is still open.
    const url = new URL(`${first.api}/blobs/${sha256(big)}`);
    const req = request(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': big.length },
    });
    req.on('error', () => undefined);
    req.write(big.subarray(0, big.length / 2));
    await new Promise((r) => setTimeout(r, 500));
    assert.ok((await readdir(join(dataDir, 'tmp'))).length > 0, 'the upload was in flight');
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
      const missing = await json<{ missing: string[] }>(
        post(`${second.api}/blobs/missing`, { sha256: entries.map((e) => e.sha256) }),
      );
      assert.equal(missing.missing.length, 2, 'the half-written blob is not indexed');
      // The abandoned session cannot commit anything either.
      const stale = await post(`${second.api}/uploads/${session.uploadId}/commit`, { entries });
      assert.equal(stale.status, 400);

      // The same upload, retried from the start, succeeds.
      const retry = await json<UploadSession>(
        post(`${second.api}/uploads`, { ...where, sha256: entries.map((e) => e.sha256) }),
      );
      await json(
        fetch(`${second.api}/blobs/${sha256(big)}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream' },
          body: big,
        }),
      );
      await json(
        fetch(`${second.api}/blobs/${sha256(small)}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream' },
          body: small,
        }),
      );
      const done = await json<{ created: boolean; version: { index: number } }>(
        post(`${second.api}/uploads/${retry.uploadId}/commit`, { entries }),
      );
      assert.equal(done.created, true);
      assert.equal(done.version.index, 0);
      const back = await fetch(`${second.api}/blobs/${sha256(big)}`);
      assert.equal(sha256(Buffer.from(await back.arrayBuffer())), sha256(big));
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
