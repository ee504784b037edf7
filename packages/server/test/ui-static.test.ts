import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { EntityInfo, Page } from '@cairn/core';
import { json, testServer } from './helpers.js';

let uiDir: string;
let emptyUiDir: string;

before(async () => {
  uiDir = await mkdtemp(join(tmpdir(), 'cairn-ui-'));
  await mkdir(join(uiDir, 'assets'));
  await writeFile(join(uiDir, 'index.html'), '<!doctype html><title>Cairn</title>');
  await writeFile(join(uiDir, 'assets', 'app.js'), 'console.log(1)');
  emptyUiDir = await mkdtemp(join(tmpdir(), 'cairn-ui-empty-'));
});
after(async () => {
  await rm(uiDir, { recursive: true, force: true });
  await rm(emptyUiDir, { recursive: true, force: true });
});

test('the UI is served at / beside the API; unknown paths stay 404', async () => {
  const s = await testServer({ uiDir });
  try {
    const page = await fetch(`${s.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(await page.text(), '<!doctype html><title>Cairn</title>');
    const script = await fetch(`${s.url}/assets/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    const missing = await fetch(`${s.url}/assets/nope.js`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
    // Not a way out of the UI directory.
    assert.equal((await fetch(`${s.url}/assets/..%2f..%2fetc%2fpasswd`)).status, 404);
    assert.equal((await fetch(`${s.url}/api/v1/health`)).status, 200);
  } finally {
    await s.close();
  }
});

test('with an API key the UI files load without it and every API call still needs it', async () => {
  const s = await testServer({ uiDir, apiKey: 'sekrit' });
  try {
    assert.equal((await fetch(`${s.url}/`)).status, 200);
    assert.equal((await fetch(`${s.url}/assets/app.js`)).status, 200);
    assert.equal((await fetch(`${s.url}/api/v1/entities`)).status, 401);
    // Paths that match no file are not opened by the UI rule.
    assert.equal((await fetch(`${s.url}/assets/nope.js`)).status, 401);
    assert.equal((await fetch(`${s.url}/assets/app.js`, { method: 'DELETE' })).status, 401);
    const keyed = await fetch(`${s.url}/api/v1/entities`, {
      headers: { authorization: 'Bearer sekrit' },
    });
    assert.equal(keyed.status, 200);
  } finally {
    await s.close();
  }
});

test('a UI directory that was never built says how to build it', async () => {
  const s = await testServer({ uiDir: emptyUiDir });
  try {
    const res = await fetch(`${s.url}/`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /npm run build -w @cairn\/web/);
  } finally {
    await s.close();
  }
  const none = await testServer();
  try {
    assert.equal((await fetch(`${none.url}/`)).status, 404, 'no UI unless one is given');
  } finally {
    await none.close();
  }
});

test('GET /entities lists every entity by name, a page at a time', async () => {
  const s = await testServer();
  try {
    const names = ['zeta', 'alpha', 'Mid', 'beta-2', 'b.x'];
    for (const entity of names) {
      const res = await fetch(`${s.api}/folders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ entity, path: 'p', parents: true }),
      });
      assert.equal(res.status, 200, await res.text());
    }
    const all = await json<Page<EntityInfo>>(fetch(`${s.api}/entities`));
    const expected = [...names].sort();
    assert.deepEqual(
      all.items.map((e) => e.name),
      expected,
    );
    assert.equal(all.nextCursor, undefined);
    for (const e of all.items) assert.ok(!Number.isNaN(Date.parse(e.createdAt)), e.createdAt);
    for (let limit = 1; limit <= 6; limit++) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const q = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
        const page = await json<Page<EntityInfo>>(fetch(`${s.api}/entities?${q}`));
        assert.ok(page.items.length <= limit);
        if (page.nextCursor) assert.equal(page.items.length, limit, 'only the last page is short');
        seen.push(...page.items.map((e) => e.name));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 20);
      assert.deepEqual(seen, expected, `limit ${limit}`);
    }
    const zero = await json<{ error: { code: string; message: string } }>(
      fetch(`${s.api}/entities?limit=0`),
      400,
    );
    assert.match(zero.error.message, /limit must be an integer from 1 to 1000, got 0/);
    const bad = await json<{ error: { message: string } }>(
      fetch(`${s.api}/entities?cursor=zzz`),
      400,
    );
    assert.match(bad.error.message, /cursor is not one this server issued/);
  } finally {
    await s.close();
  }
});
