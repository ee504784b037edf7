import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { VersionInfo } from '@cairn/core';
import { json, logFiles, post, testServer, type TestServer } from './helpers.js';

let s: TestServer;
before(async () => {
  s = await testServer({ gcIntervalMs: 0 });
});
after(async () => {
  await s.close();
});

const patch = (id: string, body: unknown) =>
  fetch(`${s.api}/versions/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const sweep = () => json<{ versionsExpired: number }>(post(`${s.api}/gc`, { graceMs: 0 }));
const put = (body: unknown) =>
  fetch(`${s.api}/projects/ttl`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('a version with a time to live is deleted by the sweep once it has passed, aliases released', async () => {
  const v = await logFiles(
    s.api,
    { project: 'ttl', collection: 'short' },
    { f: 'expiring' },
    { ttlMs: 1, aliases: ['best'] },
  );
  assert.equal(v.version.ttlMs, 1);
  assert.equal(v.version.ttlInherited, false);
  assert.ok(v.version.expiresAt);
  const keep = await logFiles(
    s.api,
    { project: 'ttl', collection: 'long' },
    { f: 'staying' },
    { ttlMs: 3_600_000 },
  );
  await new Promise((r) => setTimeout(r, 10));
  const r = await sweep();
  assert.ok(r.versionsExpired >= 1);
  assert.equal((await fetch(`${s.api}/versions/${v.version.id}`)).status, 404);
  assert.equal((await fetch(`${s.api}/versions/resolve?ref=alice/ttl/short:best`)).status, 404);
  assert.equal((await fetch(`${s.api}/versions/${keep.version.id}`)).status, 200);
});

test('versions inherit the project default unless they set their own or null', async () => {
  const inherits = await logFiles(s.api, { project: 'team', collection: 'a' }, { f: 'inherits' });
  const never = await logFiles(
    s.api,
    { project: 'team', collection: 'b' },
    { f: 'never' },
    { ttlMs: null },
  );
  assert.equal(inherits.version.ttlMs, null);
  assert.equal(inherits.version.ttlInherited, true);
  assert.deepEqual(await json(put({ entity: 'alice', project: 'team', ttlMs: 1 })), {
    entity: 'alice',
    project: 'team',
    ttlMs: 1,
  });
  const now = await json<VersionInfo>(fetch(`${s.api}/versions/${inherits.version.id}`));
  assert.equal(now.ttlMs, 1);
  await new Promise((r) => setTimeout(r, 10));
  await sweep();
  assert.equal((await fetch(`${s.api}/versions/${inherits.version.id}`)).status, 404);
  assert.equal(
    (await fetch(`${s.api}/versions/${never.version.id}`)).status,
    200,
    'null means never',
  );
});

test('ttl can be changed after commit, and bad values name the rule', async () => {
  const v = await logFiles(s.api, { project: 'ttl2', collection: 'c' }, { f: 'edit ttl' });
  const set = await json<VersionInfo>(patch(v.version.id, { ttlMs: 86_400_000 }));
  assert.equal(set.ttlMs, 86_400_000);
  const back = await json<VersionInfo>(patch(v.version.id, { ttlMs: 'inherit' }));
  assert.equal(back.ttlInherited, true);
  for (const bad of [0, -5, 1.5, 'soon', 1e20]) {
    const res = await patch(v.version.id, { ttlMs: bad });
    assert.equal(res.status, 400, String(bad));
    assert.match(
      ((await res.json()) as { error: { message: string } }).error.message,
      /ttl must be/,
    );
  }
  assert.equal((await put({ entity: 'alice', project: 'nope', ttlMs: 5 })).status, 404);
});
