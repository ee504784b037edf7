import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

test('a new draft of a version uploads only what changed and keeps birthArtifactId', async () => {
  const cairn = await env.client();
  const dir = await env.dir();
  for (let i = 0; i < 5; i++) await writeFile(join(dir, `f${i}.txt`), `file ${i}`);
  const v0 = new Artifact({ name: 'inc', type: 'dataset' });
  await v0.addDir(dir);
  await cairn.save(v0);
  const draft = await v0.newDraft();
  draft.remove('f0.txt');
  const extra = join(await env.dir(), 'new.txt');
  await writeFile(extra, 'brand new');
  await draft.addFile(extra);
  await cairn.save(draft);
  assert.equal(draft.version, 'v1');
  assert.equal(draft.lastUpload?.missing, 1, 'only the new file was sent');
  const kept = await draft.getEntry('f1.txt');
  assert.equal(kept.birthArtifactId, v0.id);
  const fresh = await draft.getEntry('new.txt');
  assert.equal(fresh.birthArtifactId, draft.id);
});

test('addReference(other.getEntry(path)) references another artifact, resolved recursively', async () => {
  const cairn = await env.client();
  const dir = await env.dir();
  await writeFile(join(dir, 'x.bin'), 'stored bytes');
  const outside = join(await env.dir(), 'outside.txt');
  await writeFile(outside, 'referenced by file URI');
  const a = new Artifact({ name: 'src', type: 'dataset' });
  await a.addFile(join(dir, 'x.bin'));
  await a.addReference(pathToFileURL(outside).href, { name: 'ext.txt' });
  await cairn.save(a);

  const b = new Artifact({ name: 'uses-src', type: 'dataset' });
  await b.addReference(await a.getEntry('x.bin'));
  await b.addReference(await a.getEntry('ext.txt'), { name: 'nested/ext.txt' });
  await cairn.save(b);
  assert.equal(b.lastUpload?.missing, 0, 'no bytes moved');
  const x = await b.getEntry('x.bin');
  assert.equal(x.ref, `cairn-artifact://${a.id}/x.bin`);
  assert.equal(x.birthArtifactId, a.id);

  const c = new Artifact({ name: 'uses-b', type: 'dataset' });
  await c.addReference(await b.getEntry('x.bin'));
  await c.addReference(await b.getEntry('nested/ext.txt'));
  await cairn.save(c);
  assert.equal(
    (await c.getEntry('x.bin')).ref,
    `cairn-artifact://${a.id}/x.bin`,
    'points at the origin',
  );
  assert.equal((await c.getEntry('nested/ext.txt')).ref, pathToFileURL(outside).href);

  const root = await env.dir();
  await (await cairn.artifact('uses-b')).download({ root });
  assert.equal(await readFile(join(root, 'x.bin'), 'utf8'), 'stored bytes');
  assert.equal(await readFile(join(root, 'nested', 'ext.txt'), 'utf8'), 'referenced by file URI');

  // The referencing version holds the bytes: deleting the source and collecting keeps them.
  await a.delete();
  await cairn.gc({ graceMs: 0 });
  const again = await env.dir();
  await (await cairn.artifact('uses-b')).download({ root: again, skipCache: true });
  assert.equal(await readFile(join(again, 'x.bin'), 'utf8'), 'stored bytes');

  const draft = new Artifact({ name: 'd', type: 'dataset' });
  await draft.addFile(join(dir, 'x.bin'));
  const e = await draft.getEntry('x.bin');
  await assert.rejects(
    new Artifact({ name: 'e', type: 'dataset' }).addReference(e),
    (err: unknown) =>
      err instanceof CairnError && /only entries of logged artifacts/.test(err.message),
  );
});
