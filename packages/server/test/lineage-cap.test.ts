import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DEFAULT_LINEAGE_NODE_LIMIT,
  MAX_LINEAGE_NODE_LIMIT,
  formatArn,
  type ErrorBody,
  type LineageGraph,
  type RunInfo,
  type VersionInfo,
} from '@cairn/core';
import { json, logFiles, post, testServer, type TestServer } from './helpers.js';

// A fan: v0 → run A → v1..v12, and each of v1..v4 → run B (a cycle back into v0 through run
// C makes sure the cap and the cycle guard work together).
let s: TestServer;
let v: VersionInfo[];
let runs: RunInfo[];

before(async () => {
  s = await testServer({ gcIntervalMs: 0 });
  v = [];
  for (let i = 0; i <= 12; i++) {
    v.push((await logFiles(s.api, { collection: 'fan' }, { f: `content ${i}` })).version);
  }
  const start = () => json<RunInfo>(post(`${s.api}/runs`, { entity: 'alice', project: 'proj' }));
  runs = [await start(), await start(), await start()];
  const [a, b, c] = runs as [RunInfo, RunInfo, RunInfo];
  const edge = (run: RunInfo, role: string, version: VersionInfo) =>
    json(post(`${s.api}/runs/${run.id}/${role}`, { versionId: version.id }));
  await edge(a, 'inputs', v[0] as VersionInfo);
  for (let i = 1; i <= 12; i++) await edge(a, 'outputs', v[i] as VersionInfo);
  for (let i = 1; i <= 4; i++) await edge(b, 'inputs', v[i] as VersionInfo);
  await edge(c, 'inputs', v[12] as VersionInfo);
  await edge(c, 'outputs', v[0] as VersionInfo);
});
after(() => s.close());

const lineage = (query: Record<string, string>) =>
  fetch(`${s.api}/lineage?${new URLSearchParams({ ref: v[0]?.id ?? '', ...query }).toString()}`);

test('an uncapped answer says truncated: false and carries the default limit', async () => {
  const g = await json<LineageGraph>(lineage({ direction: 'downstream', depth: '3' }));
  assert.equal(g.limit, DEFAULT_LINEAGE_NODE_LIMIT);
  assert.equal(g.truncated, false);
  // v0, run A, v1..v12, run B, run C (v0 again through C is not a new node).
  assert.equal(g.nodes.length, 16);
  const exact = await json<LineageGraph>(
    lineage({ direction: 'downstream', depth: '3', limit: '16' }),
  );
  assert.equal(exact.truncated, false);
  assert.equal(exact.nodes.length, 16);
});

test('the node cap keeps the nearest nodes, only edges between them, and says truncated', async () => {
  const g = await json<LineageGraph>(lineage({ direction: 'downstream', depth: '3', limit: '5' }));
  assert.equal(g.truncated, true);
  assert.equal(g.limit, 5);
  assert.equal(g.nodes.length, 5);
  assert.deepEqual(
    g.nodes.slice(0, 2).map((n) => n.arn),
    [formatArn('artifact', v[0]?.id ?? ''), formatArn('action', runs[0]?.id ?? '')],
  );
  assert.ok(g.nodes.slice(2).every((n) => n.depth === 2 && n.kind === 'artifact'));
  const kept = new Set(g.nodes.map((n) => n.arn));
  assert.equal(g.edges.length, 4);
  assert.ok(g.edges.every((e) => kept.has(e.source) && kept.has(e.dest)));

  const both = await json<LineageGraph>(lineage({ direction: 'both', depth: '10', limit: '3' }));
  assert.equal(both.truncated, true);
  assert.equal(both.nodes.length, 3);
});

test('a limit out of range is a validation error stating the maximum', async () => {
  for (const limit of ['0', String(MAX_LINEAGE_NODE_LIMIT + 1), 'many', '2.5']) {
    const res = await lineage({ limit });
    assert.equal(res.status, 400);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error.code, 'VALIDATION');
    assert.match(body.error.message, new RegExp(`${MAX_LINEAGE_NODE_LIMIT}`));
    assert.equal(body.error.details?.limit, MAX_LINEAGE_NODE_LIMIT);
  }
});
