import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, type CliRun } from './run-cli.js';
import type { RunningServer } from '@cairn/server';
import { startTestServer } from '../../server/test/backends.js';
import { Artifact, Cairn, type LineageGraph, type Run } from '@cairn/sdk';

let server: RunningServer;
let work: string;
let prep: Run;

async function draft(name: string, content: string): Promise<Artifact> {
  const a = new Artifact({ name, type: 'dataset' });
  const f = await a.newFile('data.txt');
  await f.write(content);
  await f.close();
  return a;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-cli-lineage-'));
  server = await startTestServer({ port: 0, dataDir: join(work, 'data') });
  const cairn = new Cairn({
    url: server.url,
    entity: 'alice',
    project: 'vision',
    cacheDir: join(work, 'sdk-cache'),
  });
  // raw (logged by an automatic run) -> prep -> clean
  await (await draft('raw', 'raw')).save({ client: cairn });
  prep = await cairn.init({ name: 'prep-1', jobType: 'prep' });
  await prep.useArtifact('raw');
  await prep.logArtifact(await draft('clean', 'clean'));
  await prep.finish();
});

after(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

function cairnCli(...args: string[]): Promise<CliRun> {
  return runCli(args, {
    CAIRN_URL: server.url,
    CAIRN_ENTITY: 'alice',
    CAIRN_PROJECT: 'vision',
    CAIRN_CACHE_DIR: join(work, 'cache'),
  });
}

test('cairn lineage prints a readable tree upstream and downstream', async () => {
  // Independent invocations run side by side: each CLI start costs a second or more.
  const [up, down, both, capped] = await Promise.all([
    cairnCli('lineage', 'clean', '--direction', 'upstream'),
    cairnCli('lineage', 'alice/vision/raw:v0', '--direction', 'downstream', '--depth', '1'),
    cairnCli('lineage', prep.id, '--depth', '1'),
    cairnCli('lineage', 'clean', '--direction', 'upstream', '--limit', '2'),
  ]);
  assert.equal(up.code, 0, up.err);
  const lines = up.out.trimEnd().split('\n');
  assert.equal(lines[0], 'alice/vision/clean:v0 [dataset]');
  assert.equal(lines[1], 'upstream:');
  assert.match(
    lines[2] ?? '',
    /^ {2}└── run prep-1 \(prep, finished\) [0-9a-f]{32} {2}‹Produced›$/,
  );
  assert.equal(lines[3], '      └── alice/vision/raw:v0 [dataset]  ‹ContributedTo›');
  assert.match(lines[4] ?? '', /^ {10}└── run run-[0-9a-f]{8} \(auto, finished\)/);
  assert.equal(lines.length, 5);

  assert.equal(down.code, 0, down.err);
  assert.deepEqual(down.out.trimEnd().split('\n').slice(1), [
    'downstream:',
    `  └── run prep-1 (prep, finished) ${prep.id}  ‹ContributedTo›`,
  ]);

  assert.equal(both.code, 0, both.err);
  assert.match(
    both.out,
    /^run prep-1 .*\nupstream:\n {2}└── alice\/vision\/raw:v0 \[dataset\] {2}‹ContributedTo›\ndownstream:\n {2}└── alice\/vision\/clean:v0/,
  );

  // The node cap: the two nearest nodes, and a line saying the answer was cut.
  assert.equal(capped.code, 0, capped.err);
  const cut = capped.out.trimEnd().split('\n');
  assert.equal(cut.length, 4);
  assert.match(cut[2] ?? '', /└── run prep-1 /);
  assert.match(cut[3] ?? '', /^\(truncated: the 2 nearest nodes .*--limit/);
});

test('cairn lineage --json prints the graph; bad input is a clean error', async () => {
  const [res, missing, deep] = await Promise.all([
    cairnCli('lineage', 'clean', '--direction', 'upstream', '--depth', '2', '--json'),
    cairnCli('lineage', 'no-such-thing'),
    cairnCli('lineage', 'clean', '--depth', '500', '--json'),
  ]);
  assert.equal(res.code, 0, res.err);
  const g = JSON.parse(res.out) as LineageGraph;
  assert.deepEqual(
    g.nodes.map((n) => n.label),
    ['alice/vision/clean:v0', 'prep-1', 'alice/vision/raw:v0'],
  );
  assert.equal(g.edges.length, 2);
  assert.equal(g.depth, 2);

  assert.equal(missing.code, 1);
  assert.match(missing.err, /^error: .*does not exist \(NOT_FOUND\)\n$/);
  assert.equal(deep.code, 1);
  const body = JSON.parse(deep.out) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'VALIDATION');
  assert.match(body.error.message, /0 to 100/);
});
