import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  MAX_LINEAGE_DEPTH,
  formatArn,
  type ErrorBody,
  type LineageEdge,
  type LineageGraph,
  type OpenLineageEvents,
  type RunInfo,
  type VersionInfo,
} from '@cairn/core';
import { json, logFiles, post, testServer, type TestServer } from './helpers.js';

// A short heartbeat timeout so crash detection is testable in well under a second.
const TIMEOUT_MS = 300;
let s: TestServer;

before(async () => {
  s = await testServer({ heartbeatTimeoutMs: TIMEOUT_MS });
});
after(() => s.close());

function patch(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function startRun(extra: Record<string, unknown> = {}): Promise<RunInfo> {
  return json<RunInfo>(post(`${s.api}/runs`, { entity: 'alice', project: 'proj', ...extra }));
}

async function version(collection: string, content: string): Promise<VersionInfo> {
  return (await logFiles(s.api, { collection }, { 'f.txt': content })).version;
}

const use = (run: string, v: string) =>
  json<LineageEdge>(post(`${s.api}/runs/${run}/inputs`, { versionId: v }));
const log = (run: string, v: string) =>
  json<LineageEdge>(post(`${s.api}/runs/${run}/outputs`, { versionId: v }));
const finish = (run: string, exitCode: number) =>
  json<RunInfo>(patch(`${s.api}/runs/${run}`, { finish: { exitCode } }));

function lineage(ref: string, query: Record<string, string> = {}): Promise<Response> {
  const q = new URLSearchParams({ ref, ...query });
  return fetch(`${s.api}/lineage?${q.toString()}`);
}

test('a run starts running, counts steps, and finishes or fails by exit code', async () => {
  const run = await startRun({ name: 'train-1', jobType: 'train', config: { lr: 0.1 } });
  assert.match(run.id, /^[0-9a-f]{32}$/);
  assert.equal(run.arn, formatArn('action', run.id));
  assert.equal(run.state, 'running');
  assert.deepEqual(run.config, { lr: 0.1 });
  assert.equal(run.step, 0);

  const stepped = await json<RunInfo>(patch(`${s.api}/runs/${run.id}`, { step: 7 }));
  assert.equal(stepped.step, 7);
  const back = await json<ErrorBody>(patch(`${s.api}/runs/${run.id}`, { step: 3 }), 400);
  assert.match(back.error.message, /before the run's current step 7/);

  const done = await finish(run.id, 0);
  assert.equal(done.state, 'finished');
  assert.equal(done.exitCode, 0);
  assert.ok(done.finishedAt);
  const again = await json<ErrorBody>(patch(`${s.api}/runs/${run.id}`, { heartbeat: true }), 409);
  assert.equal(again.error.code, 'CONFLICT');

  const bad = await startRun({ jobType: 'eval' });
  assert.equal(bad.name, `run-${bad.id.slice(0, 8)}`);
  assert.equal((await finish(bad.id, 2)).state, 'failed');
  assert.equal((await json<RunInfo>(fetch(`${s.api}/runs/${bad.id}`))).exitCode, 2);

  const invalid = await json<ErrorBody>(
    post(`${s.api}/runs`, { entity: 'a b', project: 'p' }),
    400,
  );
  assert.equal(invalid.error.code, 'VALIDATION');
  await json<ErrorBody>(fetch(`${s.api}/runs/${'0'.repeat(32)}`), 404);
});

test('a run without heartbeats is crashed after the timeout; a heartbeat revives it', async () => {
  const quiet = await startRun();
  const alive = await startRun();
  const beat = setInterval(() => void patch(`${s.api}/runs/${alive.id}`, { heartbeat: true }), 50);
  await new Promise((r) => setTimeout(r, TIMEOUT_MS + 200));
  clearInterval(beat);
  const crashed = await json<RunInfo>(fetch(`${s.api}/runs/${quiet.id}`));
  assert.equal(crashed.state, 'crashed');
  assert.equal(crashed.finishedAt, crashed.heartbeatAt);
  assert.equal((await json<RunInfo>(fetch(`${s.api}/runs/${alive.id}`))).state, 'running');
  const events = await json<OpenLineageEvents>(fetch(`${s.api}/runs/${quiet.id}/openlineage`));
  assert.deepEqual(
    events.events.map((e) => e.eventType),
    ['START', 'FAIL'],
  );
  const revived = await json<RunInfo>(patch(`${s.api}/runs/${quiet.id}`, { heartbeat: true }));
  assert.equal(revived.state, 'running');
  assert.equal(revived.finishedAt, null);
  await finish(alive.id, 0);
  await finish(quiet.id, 0);
});

test('inputs and outputs are edges in associations; versions list their runs', async () => {
  const raw = await version('raw', 'raw-1');
  const run = await startRun({ jobType: 'prep' });
  const input = await use(run.id, raw.id);
  assert.deepEqual(
    [input.source, input.dest, input.type],
    [formatArn('artifact', raw.id), run.arn, 'ContributedTo'],
  );
  // Idempotent: the same edge again changes nothing.
  assert.deepEqual(await use(run.id, raw.id), input);
  const clean = await version('clean', 'clean-1');
  const output = await log(run.id, clean.id);
  assert.deepEqual(
    [output.source, output.dest, output.type],
    [run.arn, formatArn('artifact', clean.id), 'Produced'],
  );

  const runsOf = async (id: string, direction: string) =>
    (
      await json<{ items: RunInfo[] }>(fetch(`${s.api}/versions/${id}/runs?direction=${direction}`))
    ).items.map((r) => r.id);
  assert.deepEqual(await runsOf(clean.id, 'producer'), [run.id]);
  assert.deepEqual(await runsOf(raw.id, 'consumers'), [run.id]);
  assert.deepEqual(await runsOf(raw.id, 'producer'), []);

  const missing = await json<ErrorBody>(
    post(`${s.api}/runs/${run.id}/inputs`, { versionId: 'f'.repeat(32) }),
    404,
  );
  assert.match(missing.error.message, /does not exist/);
  await finish(run.id, 0);
  const ended = await json<ErrorBody>(
    post(`${s.api}/runs/${run.id}/outputs`, { versionId: raw.id }),
    409,
  );
  assert.match(ended.error.message, /finished/);

  // A deleted version cannot be used.
  const gone = await version('gone', 'gone-1');
  await json(fetch(`${s.api}/versions/${gone.id}?deleteAliases=true`, { method: 'DELETE' }));
  const r2 = await startRun();
  await json<ErrorBody>(post(`${s.api}/runs/${r2.id}/inputs`, { versionId: gone.id }), 404);
  await finish(r2.id, 0);
});

test('a run created with inputs, outputs and finish is recorded whole, or not at all', async () => {
  const raw = await version('whole-raw', 'whole raw');
  const made = await version('whole-made', 'whole made');
  const runsOf = async (id: string, direction: string) =>
    (
      await json<{ items: RunInfo[] }>(fetch(`${s.api}/versions/${id}/runs?direction=${direction}`))
    ).items.map((r) => r.id);

  const run = await startRun({
    jobType: 'auto',
    inputs: [raw.id],
    outputs: [made.id, made.id],
    finish: { exitCode: 0 },
  });
  assert.equal(run.state, 'finished');
  assert.equal(run.exitCode, 0);
  assert.equal(run.finishedAt, run.createdAt);
  assert.deepEqual(await runsOf(made.id, 'producer'), [run.id]);
  assert.deepEqual(await runsOf(raw.id, 'consumers'), [run.id]);
  // Ended at birth: it takes no further outputs.
  await json<ErrorBody>(post(`${s.api}/runs/${run.id}/outputs`, { versionId: raw.id }), 409);

  const failed = await startRun({ outputs: [raw.id], finish: { exitCode: 3 } });
  assert.equal(failed.state, 'failed');
  assert.equal(failed.exitCode, 3);
  const open = await startRun({ inputs: [made.id] });
  assert.equal(open.state, 'running');
  assert.deepEqual(await runsOf(made.id, 'consumers'), [open.id]);
  await finish(open.id, 0);

  // One unknown version: 404 naming it, and neither the run nor its other edges exist.
  const unknown = 'e'.repeat(32);
  const missing = await json<ErrorBody>(
    post(`${s.api}/runs`, {
      entity: 'alice',
      project: 'proj',
      inputs: [made.id],
      outputs: [unknown],
      finish: { exitCode: 0 },
    }),
    404,
  );
  assert.match(missing.error.message, new RegExp(unknown));
  assert.deepEqual(await runsOf(made.id, 'consumers'), [open.id]);

  for (const [body, rule] of [
    [{ outputs: 'x' }, 'run.outputs'],
    [{ inputs: ['not-an-id'] }, 'run.inputs'],
    [{ outputs: Array(1001).fill(made.id) }, 'run.outputs'],
    [{ finish: { exitCode: 1.5 } }, 'run.exitCode'],
  ] as const) {
    const bad = await json<ErrorBody>(
      post(`${s.api}/runs`, { entity: 'alice', project: 'proj', ...body }),
      400,
    );
    assert.equal(bad.error.details?.['rule'], rule, JSON.stringify(body));
  }
});

test('lineage walks upstream, downstream and both, bounded by depth', async () => {
  // a -> r1 -> b -> r2 -> c
  const a = await version('chain-a', 'a');
  const b = await version('chain-b', 'b');
  const c = await version('chain-c', 'c');
  const r1 = await startRun({ name: 'make-b', jobType: 'prep' });
  const r2 = await startRun({ name: 'make-c', jobType: 'train' });
  await use(r1.id, a.id);
  await log(r1.id, b.id);
  await use(r2.id, b.id);
  await log(r2.id, c.id);
  await finish(r1.id, 0);
  await finish(r2.id, 0);

  const up = await json<LineageGraph>(
    lineage(`alice/proj/chain-c:latest`, { direction: 'upstream' }),
  );
  assert.equal(up.root, formatArn('artifact', c.id));
  assert.deepEqual(
    up.nodes.map((n) => [n.label, n.depth, n.kind]),
    [
      ['alice/proj/chain-c:v0', 0, 'artifact'],
      ['make-c', 1, 'run'],
      ['alice/proj/chain-b:v0', 2, 'artifact'],
      ['make-b', 3, 'run'],
      ['alice/proj/chain-a:v0', 4, 'artifact'],
    ],
  );
  assert.equal(up.edges.length, 4);
  assert.equal(up.nodes[1]?.run?.state, 'finished');
  assert.equal(up.nodes[0]?.artifact?.type, 'dataset');

  const shallow = await json<LineageGraph>(lineage(c.id, { direction: 'upstream', depth: '2' }));
  assert.deepEqual(
    shallow.nodes.map((n) => n.label),
    ['alice/proj/chain-c:v0', 'make-c', 'alice/proj/chain-b:v0'],
  );
  assert.equal(shallow.edges.length, 2);

  const down = await json<LineageGraph>(lineage(a.id, { direction: 'downstream' }));
  assert.deepEqual(
    down.nodes.map((n) => n.id),
    [a.id, r1.id, b.id, r2.id, c.id],
  );
  const none = await json<LineageGraph>(lineage(a.id, { direction: 'upstream' }));
  assert.deepEqual(
    none.nodes.map((n) => n.id),
    [a.id],
  );
  assert.deepEqual(none.edges, []);

  const both = await json<LineageGraph>(lineage(b.id, { depth: '1' }));
  assert.equal(both.direction, 'both');
  assert.deepEqual(new Set(both.nodes.map((n) => n.id)), new Set([b.id, r1.id, r2.id]));
  // A run id and a run ARN are roots too.
  const fromRun = await json<LineageGraph>(lineage(r2.arn, { depth: '1' }));
  assert.deepEqual(new Set(fromRun.nodes.map((n) => n.id)), new Set([r2.id, b.id, c.id]));
  assert.equal((await json<LineageGraph>(lineage(r2.id))).root, r2.arn);
});

test('lineage is safe on cycles: each node once, the query ends', async () => {
  // x -> r -> y -> r2 -> x  (a cycle through two runs)
  const x = await version('cyc-x', 'x');
  const y = await version('cyc-y', 'y');
  const r = await startRun();
  const r2 = await startRun();
  await use(r.id, x.id);
  await log(r.id, y.id);
  await use(r2.id, y.id);
  await log(r2.id, x.id);
  for (const direction of ['upstream', 'downstream', 'both']) {
    const g = await json<LineageGraph>(
      lineage(x.id, { direction, depth: String(MAX_LINEAGE_DEPTH) }),
    );
    assert.deepEqual(new Set(g.nodes.map((n) => n.id)), new Set([x.id, r.id, y.id, r2.id]));
    assert.equal(g.nodes.length, 4);
    assert.equal(g.edges.length, 4);
  }
  await finish(r.id, 0);
  await finish(r2.id, 0);
});

test('unknown refs are 404; bad direction and depth above the limit are 400 naming it', async () => {
  const unknownRef = await json<ErrorBody>(lineage('alice/proj/nothing-here'), 404);
  assert.equal(unknownRef.error.code, 'NOT_FOUND');
  await json<ErrorBody>(lineage('0'.repeat(32)), 404);
  await json<ErrorBody>(lineage(formatArn('context', 'nope')), 404);
  const deep = await json<ErrorBody>(lineage('alice/proj/raw', { depth: '101' }), 400);
  assert.equal(deep.error.code, 'VALIDATION');
  assert.match(deep.error.message, new RegExp(`0 to ${MAX_LINEAGE_DEPTH}`));
  await json<ErrorBody>(lineage('alice/proj/raw', { depth: 'deep' }), 400);
  const dir = await json<ErrorBody>(lineage('alice/proj/raw', { direction: 'sideways' }), 400);
  assert.match(dir.error.message, /upstream, downstream or both/);
});

test('OpenLineage events: START with inputs, COMPLETE with inputs and outputs', async () => {
  const inV = await version('ol-in', 'in');
  const outV = await version('ol-out', 'out');
  const run = await startRun({ name: 'ol-run', jobType: 'train' });
  await use(run.id, inV.id);
  const running = await json<OpenLineageEvents>(fetch(`${s.api}/runs/${run.id}/openlineage`));
  assert.deepEqual(
    running.events.map((e) => e.eventType),
    ['START'],
  );
  await log(run.id, outV.id);
  await finish(run.id, 0);
  const { events } = await json<OpenLineageEvents>(fetch(`${s.api}/runs/${run.id}/openlineage`));
  assert.deepEqual(
    events.map((e) => e.eventType),
    ['START', 'COMPLETE'],
  );
  const [start, complete] = events;
  assert.ok(start && complete);
  assert.match(
    start.run.runId,
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.equal(complete.run.runId, start.run.runId);
  assert.deepEqual(start.job, { namespace: 'cairn://alice/proj', name: 'train' });
  assert.deepEqual(start.inputs, [{ namespace: 'cairn://alice/proj', name: 'ol-in:v0' }]);
  assert.deepEqual(start.outputs, []);
  assert.deepEqual(complete.outputs, [{ namespace: 'cairn://alice/proj', name: 'ol-out:v0' }]);
  assert.equal(start.eventTime, run.createdAt);
  assert.ok(Date.parse(complete.eventTime) >= Date.parse(start.eventTime));
  assert.match(start.producer, /^https:\/\//);
  assert.match(start.schemaURL, /openlineage\.io\/spec\/.*RunEvent$/);
});
