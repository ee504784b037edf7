import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page, RunHistoryRow, RunInfo, RunLogResult, VersionInfo } from '@cairn/core';
import { json, logFiles, post, testServer, type TestServer } from './helpers.js';

let s: TestServer;
before(async () => {
  s = await testServer({ gcIntervalMs: 0 });
  await json(
    post(`${s.api}/registries/collections`, { registry: 'model', name: 'hist', type: 'model' }),
  );
});
after(() => s.close());

const startRun = () => json<RunInfo>(post(`${s.api}/runs`, { entity: 'alice', project: 'proj' }));
const logRow = (run: string, body: unknown) => post(`${s.api}/runs/${run}/history`, body);
const version = async (collection: string, content: string) =>
  (await logFiles(s.api, { collection, type: 'model' }, { 'f.txt': content })).version;
const getVersion = (id: string) => json<VersionInfo>(fetch(`${s.api}/versions/${id}`));
const runsOf = async (id: string, direction: string) =>
  (
    await json<{ items: RunInfo[] }>(fetch(`${s.api}/versions/${id}/runs?direction=${direction}`))
  ).items.map((r) => r.id);
const errorCode = async (res: Response) =>
  `${res.status} ${((await res.json()) as { error: { code: string } }).error.code}`;

test('run history: rows per step, the step moves past them, pages oldest first', async () => {
  const run = await startRun();
  assert.deepEqual(await json<RunLogResult>(logRow(run.id, { data: { loss: 1 } })), {
    step: 0,
    nextStep: 1,
  });
  await json(logRow(run.id, { data: { loss: 0.5 } }));
  await json(logRow(run.id, { step: 10, data: { loss: 0.25, acc: 0.9 } }));
  const info = await json<RunInfo>(fetch(`${s.api}/runs/${run.id}`));
  assert.equal(info.step, 11);

  const first = await json<Page<RunHistoryRow>>(fetch(`${s.api}/runs/${run.id}/history?limit=2`));
  assert.deepEqual(
    first.items.map((r) => [r.step, r.data]),
    [
      [0, { loss: 1 }],
      [1, { loss: 0.5 }],
    ],
  );
  assert.ok(first.nextCursor);
  const rest = await json<Page<RunHistoryRow>>(
    fetch(`${s.api}/runs/${run.id}/history?cursor=${first.nextCursor}`),
  );
  assert.deepEqual(
    rest.items.map((r) => r.step),
    [10],
  );
  assert.equal(rest.nextCursor, undefined);

  assert.equal(await errorCode(await logRow(run.id, { step: 3, data: {} })), '400 VALIDATION');
  assert.equal(await errorCode(await logRow(run.id, { data: [1, 2] })), '400 VALIDATION');
  const big = { blob: 'x'.repeat(300 * 1024) };
  assert.equal(await errorCode(await logRow(run.id, { data: big })), '400 VALIDATION');
  assert.equal(await errorCode(await logRow('0'.repeat(32), { data: {} })), '404 NOT_FOUND');
  await json(
    fetch(`${s.api}/runs/${run.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ finish: { exitCode: 0 } }),
    }),
  );
  assert.equal(await errorCode(await logRow(run.id, { data: {} })), '409 CONFLICT');
});

test("historyStep: the first logger's last logged step, shown by its links too", async () => {
  const run = await startRun();
  const before = await version('hs', 'before any history');
  await json(post(`${s.api}/runs/${run.id}/outputs`, { versionId: before.id }));
  assert.equal((await getVersion(before.id)).historyStep, null);

  for (let i = 0; i < 3; i++) await json(logRow(run.id, { data: { i } }));
  const v = await version('hs', 'after three rows');
  await json(post(`${s.api}/runs/${run.id}/outputs`, { versionId: v.id }));
  assert.equal((await getVersion(v.id)).historyStep, 2);

  // A second run logging the same version later does not move it.
  const other = await startRun();
  for (let i = 0; i < 7; i++) await json(logRow(other.id, { data: { i } }));
  await json(post(`${s.api}/runs/${other.id}/outputs`, { versionId: v.id }));
  assert.equal((await getVersion(v.id)).historyStep, 2);

  const l = await json<VersionInfo>(
    post(`${s.api}/versions/${v.id}/links`, { target: 'registry/model/hist' }),
  );
  assert.equal(l.historyStep, 2);
});

test("usedBy through links: users of the source or any link count for both; loggedBy is the source's", async () => {
  const producer = await startRun();
  const v = await version('used', 'linked content');
  await json(post(`${s.api}/runs/${producer.id}/outputs`, { versionId: v.id }));
  const l = await json<VersionInfo>(
    post(`${s.api}/versions/${v.id}/links`, { target: 'registry/model/hist' }),
  );
  const a = await startRun();
  const b = await startRun();
  const c = await startRun();
  await json(post(`${s.api}/runs/${a.id}/inputs`, { versionId: v.id }));
  await json(post(`${s.api}/runs/${b.id}/inputs`, { versionId: l.id }));
  await json(post(`${s.api}/runs/${c.id}/inputs`, { versionId: l.id }));
  await json(post(`${s.api}/runs/${c.id}/inputs`, { versionId: v.id }));

  assert.deepEqual(await runsOf(v.id, 'consumers'), [a.id, b.id, c.id]);
  assert.deepEqual(await runsOf(l.id, 'consumers'), [a.id, b.id, c.id]);
  assert.deepEqual(await runsOf(l.id, 'producer'), [producer.id]);
  assert.deepEqual(await runsOf(v.id, 'producer'), [producer.id]);
});
