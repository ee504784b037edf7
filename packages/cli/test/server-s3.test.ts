import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DirectTransferInfo } from '@cairn/core';
import { testS3 } from '../../server/test/s3.js';

const bin = fileURLToPath(new URL('../bin/cairn.js', import.meta.url));

test('`cairn server --blobs s3://…` keeps blobs in the bucket and offers direct transfers', async () => {
  const s3 = await testS3();
  const data = await mkdtemp(join(tmpdir(), 'cairn-cli-s3-'));
  const loc = s3.location();
  const child = spawn(
    process.execPath,
    [
      bin,
      'server',
      '--port',
      '0',
      '--data',
      data,
      '--blobs',
      `s3://${loc.bucket}/${loc.prefix}`,
      '--s3-endpoint',
      s3.endpoint,
      '--s3-force-path-style',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+) .*blobs in s3:\/\//.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', (c) => reject(new Error(`exited ${c}`)));
    });
    const info = (await (await fetch(`${url}/api/v1/direct`)).json()) as DirectTransferInfo;
    assert.equal(info.enabled, true);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(data, { recursive: true, force: true });
    await s3.close();
  }
});

test('bad S3 settings are refused at startup, naming the rule', () => {
  for (const [args, rule] of [
    [['--blobs', 'https://bucket/x'], /s3:\/\/BUCKET/],
    [['--blobs', 's3://Bad_Bucket'], /bucket name/],
    [['--blobs', 's3://good-bucket', '--s3-endpoint', 'ftp://x'], /--s3-endpoint must be an http/],
  ] as const) {
    const r = spawnSync(process.execPath, [bin, 'server', '--port', '0', ...args], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, rule);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
