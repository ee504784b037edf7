import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startServer, type RunningServer } from '@cairn/server';
import { Artifact, Cairn } from '@cairn/sdk';
import { runCli, type CliRun } from './run-cli.js';

let server: RunningServer;
let work: string;
let cairn: Cairn;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-cli-folder-'));
  server = await startServer({ port: 0, dataDir: join(work, 'data') });
  cairn = new Cairn({ url: server.url, entity: 'alice', cacheDir: join(work, 'sdk-cache') });
});

after(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

function cairnCli(...args: string[]): Promise<CliRun> {
  return runCli(args, {
    CAIRN_URL: server.url,
    CAIRN_ENTITY: 'alice',
    CAIRN_CACHE_DIR: join(work, 'cache'),
    CAIRN_ARTIFACT_DIR: join(work, 'artifacts'),
  });
}

test('folder mk, ls, mv and rm as a user would, with --json and human output', async () => {
  const missing = await cairnCli('folder', 'mk', 'vision/mnist', '--json');
  assert.equal(missing.code, 1);
  assert.equal((missing.json['error'] as { code: string }).code, 'NOT_FOUND');

  const mk = await cairnCli('folder', 'mk', 'vision/mnist', '--parents', '--json');
  assert.equal(mk.code, 0, mk.err + mk.out);
  assert.equal(mk.json['fullPath'], '/alice/vision/mnist');

  const a = new Artifact({ name: 'raw', type: 'dataset' });
  const f = await a.newFile('x.txt');
  await f.write('x');
  await f.close();
  await a.upload({ client: cairn, folder: '/alice/vision/mnist' });

  const ls = await cairnCli('folder', 'ls', '/alice/vision/mnist', '--json');
  assert.equal(ls.code, 0, ls.err);
  assert.deepEqual(
    (ls.json['artifacts'] as { name: string }[]).map((x) => x.name),
    ['raw'],
  );
  const human = await cairnCli('folder', 'ls');
  assert.equal(human.out.trim(), '/alice/vision/');
  const inside = await cairnCli('folder', 'ls', '/alice/vision/mnist');
  assert.match(inside.out, /^\/alice\/vision\/mnist\/raw\t\S+\t1 version$/m);

  const mv = await cairnCli('folder', 'mv', 'vision', 'archive/vision', '-p', '--json');
  assert.equal(mv.code, 0, mv.err + mv.out);
  assert.equal(mv.json['from'], '/alice/vision');
  assert.equal(mv.json['fullPath'], '/alice/archive/vision');
  assert.equal((await cairn.artifact('alice/archive/vision/mnist/raw')).id, a.id);

  const refused = await cairnCli('folder', 'rm', 'archive');
  assert.equal(refused.code, 1);
  assert.match(refused.err, /folder \/alice\/archive is not empty .* \(CONFLICT\)/);

  const traversal = await cairnCli('folder', 'mk', '../bob', '--json');
  assert.equal((traversal.json['error'] as { code: string }).code, 'PATH_ESCAPE');

  const gone = await cairnCli('folder', 'rm', 'archive', '--recursive', '--json');
  assert.equal(gone.code, 0, gone.err);
  assert.deepEqual(gone.json, { deleted: true, folders: 3, versions: 1, folder: '/alice/archive' });
  const empty = await cairnCli('folder', 'ls', '/alice');
  assert.equal(empty.out.trim(), '(/alice is empty)');
});
