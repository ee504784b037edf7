import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CairnError } from '@cairn/core';
import { startServer } from '@cairn/server';
import { testServer } from './helpers.js';

test('binding a non-loopback address without an API key is refused', async () => {
  await assert.rejects(
    startServer({ host: '0.0.0.0', port: 0, dataDir: '/nonexistent-never-created', apiKey: '' }),
    (e: unknown) => e instanceof CairnError && /API key/.test(e.message),
  );
});

test('with an API key, requests need the right bearer token', async () => {
  const s = await testServer({ host: '0.0.0.0', apiKey: 'sekrit' });
  try {
    const api = s.api.replace('0.0.0.0', '127.0.0.1');
    assert.equal((await fetch(`${api}/health`)).status, 200, 'health needs no key');
    const none = await fetch(`${api}/collections?entity=a&project=b`);
    assert.equal(none.status, 401);
    const body = (await none.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'UNAUTHORIZED');
    assert.match(body.error.message, /Bearer/);
    const wrong = await fetch(`${api}/collections?entity=a&project=b`, {
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(wrong.status, 401);
    const right = await fetch(`${api}/collections?entity=a&project=b`, {
      headers: { authorization: 'Bearer sekrit' },
    });
    assert.equal(right.status, 200);
    // The router decodes paths; the check follows the route it matched, not the raw URL.
    for (const path of [
      '/%61pi/v1/collections?entity=a&project=b',
      '/api/v1/%63ollections?entity=a&project=b',
      '/api/v1/openapi.json',
      '/api/v1/no-such-route',
    ]) {
      assert.equal(
        (await fetch(`${s.url.replace('0.0.0.0', '127.0.0.1')}${path}`)).status,
        401,
        path,
      );
    }
    const put = await fetch(`${api}/blobs/${'0'.repeat(64)}`, { method: 'PUT', body: 'x' });
    assert.equal(put.status, 401, 'raw routes are guarded too');
  } finally {
    await s.close();
  }
});

test('without a key on loopback, no token is needed', async () => {
  const s = await testServer({ apiKey: '' });
  try {
    assert.equal((await fetch(`${s.api}/collections?entity=a&project=b`)).status, 200);
  } finally {
    await s.close();
  }
});
