import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Artifact } from '../src/index.js';
import { startEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
before(async () => {
  env = await startEnv();
});
after(() => env.close());

async function draft(name: string, content: string): Promise<Artifact> {
  const a = new Artifact({ name, type: 'model' });
  const f = await a.newFile('w.bin');
  await f.write(content);
  await f.close();
  return a;
}

test('run.log stores metrics per step; a logged artifact shows historyStep, its link too', async () => {
  const cairn = await env.client();
  const run = await cairn.init({ jobType: 'train', heartbeatIntervalMs: 0 });
  const early = await run.logArtifact(await draft('early', 'no history yet'));
  assert.equal(early.historyStep, null);

  // Not awaited on purpose: logging the artifact must wait for the rows to be stored.
  void run.log({ loss: 0.9 });
  void run.log({ loss: 0.7 });
  void run.log({ loss: 0.4, acc: 0.8 }, { step: 5 });
  assert.equal(run.step, 6);
  const model = await run.logArtifact(await draft('model', 'weights'), { aliases: ['best'] });
  assert.equal(model.historyStep, 5);
  assert.deepEqual(
    (await run.history()).map((r) => [r.step, r.data]),
    [
      [0, { loss: 0.9 }],
      [1, { loss: 0.7 }],
      [5, { loss: 0.4, acc: 0.8 }],
    ],
  );
  const again = await cairn.artifact('model:best');
  assert.equal(again.historyStep, 5);
  assert.throws(() => run.log({}, { step: 2 }), { code: 'VALIDATION' });
  const finished = await run.finish();
  assert.equal(finished.step, 6);

  await cairn.createRegistryCollection({ registry: 'model', name: 'prod', type: 'model' });
  const link = await model.link('registry/model/prod');
  assert.equal(link.historyStep, 5);
  assert.throws(() => new Artifact({ name: 'x', type: 't' }).historyStep, {
    code: 'ARTIFACT_NOT_LOGGED',
  });
});

test("usedBy() counts runs that used the source or any of its links; loggedBy() of a link is the source's", async () => {
  const cairn = await env.client();
  const trainer = await cairn.init({ jobType: 'train', heartbeatIntervalMs: 0 });
  const model = await trainer.logArtifact(await draft('clf', 'classifier'));
  await trainer.finish();
  await cairn.createRegistryCollection({ registry: 'model', name: 'clf', type: 'model' });
  const link = await model.link('registry/model/clf', ['staging']);

  const direct = await cairn.init({ jobType: 'eval', heartbeatIntervalMs: 0 });
  await direct.useArtifact(model);
  await direct.finish();
  const viaLink = await cairn.init({ jobType: 'serve', heartbeatIntervalMs: 0 });
  await viaLink.useArtifact('registry/model/clf:staging');
  await viaLink.finish();

  assert.deepEqual(
    (await model.usedBy()).map((r) => r.id),
    [direct.id, viaLink.id],
  );
  assert.deepEqual(
    (await link.usedBy()).map((r) => r.id),
    [direct.id, viaLink.id],
  );
  assert.equal((await link.loggedBy())?.id, trainer.id);
});
