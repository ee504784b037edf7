import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Artifact, CairnError } from '@cairn/sdk';
import { startEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env.close();
});

test('artifact.ttl is logged, editable after logging, and honoured by the sweep', async () => {
  const cairn = await env.client();
  const dir = await env.dir();
  await writeFile(join(dir, 'f.txt'), 'short-lived');
  const a = new Artifact({ name: 'temp', type: 'dataset' });
  assert.equal(a.ttl, 'inherit');
  a.ttl = 3_600_000;
  await a.addFile(join(dir, 'f.txt'));
  await cairn.save(a);
  assert.equal(a.ttl, 3_600_000);
  assert.ok(a.expiresAt && Date.parse(a.expiresAt) > Date.now());

  const again = await cairn.artifact('temp:latest');
  assert.equal(again.ttl, 3_600_000);
  again.ttl = null;
  await again.save();
  assert.equal((await cairn.artifact('temp')).ttl, null);
  assert.equal((await again.newDraft()).ttl, null, 'a new draft keeps the policy');

  again.ttl = 1;
  await again.save();
  await new Promise((r) => setTimeout(r, 10));
  const report = await cairn.gc({ graceMs: 0 });
  assert.ok(report.versionsExpired >= 1);
  await assert.rejects(
    cairn.artifact('temp:v0'),
    (e: unknown) => e instanceof CairnError && e.code === 'NOT_FOUND',
  );
  assert.throws(() => {
    a.ttl = -1;
  }, /ttl must be/);
});
