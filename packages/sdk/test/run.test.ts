import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunningServer } from '@cairn/server';
import { startTestServer } from '../../server/test/backends.js';
import { Artifact, Cairn, Run } from '../src/index.js';
import { passThroughProxy, tempDir } from './helpers.js';

// A short server-side heartbeat timeout, so both crash detection and the SDK's heartbeat
// keeping a run alive show within a second.
const TIMEOUT_MS = 400;
let server: RunningServer;
let dirs: string[];
let cairn: Cairn;

before(async () => {
  const dataDir = await tempDir('cairn-run-data-');
  const cacheDir = await tempDir('cairn-run-cache-');
  dirs = [dataDir, cacheDir];
  server = await startTestServer({ port: 0, dataDir, heartbeatTimeoutMs: TIMEOUT_MS });
  cairn = new Cairn({ url: server.url, entity: 'tester', project: 'proj', cacheDir });
});
after(async () => {
  await server.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function draft(name: string, content: string): Promise<Artifact> {
  const a = new Artifact({ name, type: 'dataset' });
  const f = await a.newFile('data.txt');
  await f.write(content);
  await f.close();
  return a;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a save outside any run records its automatic run in one request', async (t) => {
  const routes: string[] = [];
  const proxy = await passThroughProxy(server.url, { onRequest: (r) => routes.push(r) });
  t.after(() => proxy.close());
  const client = new Cairn({
    url: proxy.url,
    entity: 'tester',
    project: 'proj',
    cacheDir: dirs[1],
  });
  const logged = await (await draft('auto-once', 'logged once')).save({ client });
  assert.deepEqual(
    routes.filter((r) => r.includes('/runs')),
    ['POST /api/v1/runs'],
  );
  const auto = await logged.loggedBy();
  assert.equal(auto?.jobType, 'auto');
  assert.equal(auto?.state, 'finished');
  assert.equal(auto?.exitCode, 0);
});

test('init, use, log, finish: edges, loggedBy/usedBy and lineage through the SDK', async () => {
  // Outside any run: save() creates an automatic run that logs the version and finishes.
  const raw = await (await draft('raw', 'raw bytes')).save({ client: cairn });
  const auto = await raw.loggedBy();
  assert.ok(auto);
  assert.equal(auto.jobType, 'auto');
  assert.equal(auto.state, 'finished');

  const run = await cairn.init({
    name: 'prep-1',
    jobType: 'prep',
    config: { seed: 3 },
    heartbeatIntervalMs: 100,
  });
  assert.match(run.id, /^[0-9a-f]{32}$/);
  assert.equal(run.state, 'running');
  assert.deepEqual(run.config, { seed: 3 });
  assert.equal(run.entity, 'tester');

  const used = await run.useArtifact('raw:latest');
  assert.equal(used.id, raw.id);
  const root = await used.download({ root: join(dirs[1] ?? '', 'dl') });
  assert.equal(await readFile(join(root, 'data.txt'), 'utf8'), 'raw bytes');

  run.log({ loss: 1 });
  run.log({ loss: 0.5 });
  assert.equal(run.step, 2);
  const clean = await run.logArtifact(await draft('clean', 'clean bytes'), {
    aliases: ['best'],
    tags: ['v-one'],
  });
  assert.equal(clean.qualifiedName, 'tester/proj/clean:v0');
  assert.ok(clean.aliases.includes('best'));
  // Saving inside the active run logs through it, not through an automatic run.
  const side = await (await draft('side', 'side bytes')).save({ client: cairn });

  const finished = await run.finish();
  assert.equal(finished.state, 'finished');
  assert.equal(finished.step, 2);
  assert.equal(await run.finish(), finished);

  assert.equal((await clean.loggedBy())?.id, run.id);
  assert.equal((await side.loggedBy())?.id, run.id);
  assert.deepEqual(
    (await raw.usedBy()).map((r) => r.id),
    [run.id],
  );
  assert.deepEqual(
    (await clean.usedBy()).map((r) => r.id),
    [],
  );
  assert.deepEqual(
    (await run.usedArtifacts()).map((a) => a.qualifiedName),
    ['tester/proj/raw:v0'],
  );
  assert.deepEqual((await run.loggedArtifacts()).map((a) => a.qualifiedName).sort(), [
    'tester/proj/clean:v0',
    'tester/proj/side:v0',
  ]);

  const up = await cairn.lineage('clean', { direction: 'upstream' });
  assert.deepEqual(
    up.nodes.map((n) => n.label),
    ['tester/proj/clean:v0', 'prep-1', 'tester/proj/raw:v0', auto.name],
  );
  const down = await cairn.lineage(raw, { direction: 'downstream', depth: 1 });
  assert.deepEqual(new Set(down.nodes.map((n) => n.id)), new Set([raw.id, run.id]));
  assert.equal((await cairn.lineage(run, { depth: 1 })).nodes.length, 4);

  // An ended run takes no more edges.
  await assert.rejects(run.useArtifact(raw), { code: 'CONFLICT' });
});

test('a failing run, a draft cannot be used, and lineage errors come back as CairnErrors', async () => {
  const run = await cairn.init({ jobType: 'eval' });
  await assert.rejects(run.useArtifact(new Artifact({ name: 'x', type: 't' })), {
    code: 'ARTIFACT_NOT_LOGGED',
  });
  await assert.rejects(run.useArtifact('does-not-exist'), { code: 'NOT_FOUND' });
  const failed = await run.finish({ exitCode: 1 });
  assert.equal(failed.state, 'failed');
  assert.equal(failed.exitCode, 1);
  await assert.rejects(cairn.lineage('nothing-here'), { code: 'NOT_FOUND' });
  await assert.rejects(cairn.lineage(run, { depth: 101 }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'VALIDATION');
    assert.match(err.message, /100/);
    return true;
  });
});

test('heartbeats keep a run alive; a run whose client went silent is crashed', async () => {
  const alive = await cairn.init({ heartbeatIntervalMs: 50 });
  const silent = await cairn.init({ heartbeatIntervalMs: 0 });
  await sleep(TIMEOUT_MS + 300);
  assert.equal((await alive.refresh()).state, 'running');
  assert.equal((await silent.refresh()).state, 'crashed');
  assert.ok(alive instanceof Run);
  await alive.finish();
  // The client was only slow: finishing still records the real outcome.
  assert.equal((await silent.finish()).state, 'finished');
});
