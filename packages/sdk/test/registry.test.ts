import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
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

test('link, linkedArtifacts, sourceArtifact, source* properties and unlink', async () => {
  const cairn = await env.client();
  await cairn.createRegistryCollection({ registry: 'model', name: 'detector', type: 'model' });
  const dir = await env.dir();
  await writeFile(join(dir, 'w.bin'), 'detector weights');
  const a = new Artifact({ name: 'det', type: 'model' });
  await a.addFile(join(dir, 'w.bin'));
  await cairn.save(a);
  assert.equal(a.isLink, false);
  assert.equal(a.sourceQualifiedName, a.qualifiedName);

  const link = await a.link('wandb-registry-model/detector', ['production']);
  assert.equal(link.isLink, true);
  assert.equal(link.qualifiedName, 'registry/model/detector:v0');
  assert.equal(link.collection, 'detector');
  assert.equal(link.sourceName, 'det:v0');
  assert.equal(link.sourceQualifiedName, 'tester/proj/det:v0');
  assert.equal(link.sourceEntity, 'tester');
  assert.equal(link.sourceProject, 'proj');
  assert.equal(link.sourceCollection, 'det');
  assert.equal(link.sourceVersion, 'v0');
  assert.ok(link.aliases.includes('production'));
  assert.equal((await link.sourceArtifact()).id, a.id);
  assert.deepEqual(
    (await a.linkedArtifacts()).map((l) => l.id),
    [link.id],
  );

  const fetched = await cairn.artifact('registry/model/detector:production');
  const root = await env.dir();
  await fetched.download({ root });
  assert.equal(await readFile(join(root, 'w.bin'), 'utf8'), 'detector weights');

  await assert.rejects(
    a.delete({ deleteAliases: true }),
    (e: unknown) => e instanceof CairnError && e.code === 'CONFLICT',
  );
  await fetched.unlink();
  assert.deepEqual(await a.linkedArtifacts(), []);
  await assert.rejects(a.unlink(), /not a registry link/);
  await assert.rejects(
    a.link('registry/model/missing'),
    (e: unknown) => e instanceof CairnError && e.code === 'NOT_FOUND',
  );
});
