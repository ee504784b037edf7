import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunningServer } from '@cairn/server';
import { startTestServer } from '../../server/test/backends.js';
import { runCli, type CliRun } from './run-cli.js';

const bin = fileURLToPath(new URL('../bin/cairn.js', import.meta.url));
let server: RunningServer;
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-cli-'));
  server = await startTestServer({ port: 0, dataDir: join(work, 'data') });
});

after(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

function cairn(...args: string[]): Promise<CliRun> {
  return runCli(args, {
    CAIRN_URL: server.url,
    CAIRN_ENTITY: 'alice',
    CAIRN_CACHE_DIR: join(work, 'cache'),
  });
}

test('put, ls, get, verify and rm a directory as a user would', async () => {
  const src = join(work, 'src');
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'a.txt'), 'alpha');
  await writeFile(join(src, 'sub', 'b.bin'), Buffer.alloc(3000, 7));

  const put = await cairn(
    'artifact',
    'put',
    src,
    '--name',
    'alice/vision/mnist/raw',
    '--type',
    'dataset',
    '--alias',
    'best',
    '--json',
  );
  assert.equal(put.code, 0, put.err + put.out);
  assert.equal(put.json['qualifiedName'], 'alice/vision/mnist/raw:v0');
  assert.equal(put.json['created'], true);
  assert.equal(put.json['fileCount'], 2);

  const again = await cairn(
    'artifact',
    'put',
    src,
    '--name',
    'alice/vision/mnist/raw',
    '--type',
    'dataset',
    '--json',
  );
  assert.equal(again.code, 0, again.err);
  assert.equal(again.json['created'], false);
  assert.equal(again.json['version'], 'v0');

  const human = await cairn(
    'artifact',
    'put',
    src,
    '--name',
    'alice/vision/mnist/raw',
    '--type',
    'dataset',
  );
  assert.match(human.out, /unchanged/);

  const ls = await cairn('artifact', 'ls', 'alice/vision/mnist', '--json');
  assert.equal(ls.code, 0, ls.err);
  const items = ls.json['items'] as { name: string; versionCount: number }[];
  assert.deepEqual(
    items.map((c) => [c.name, c.versionCount]),
    [['raw', 1]],
  );
  const lsv = await cairn('artifact', 'ls', 'alice/vision/mnist/raw', '--versions', '--json');
  assert.equal((lsv.json['items'] as unknown[]).length, 1);

  const root = join(work, 'out');
  const get = await cairn(
    'artifact',
    'get',
    'alice/vision/mnist/raw:best',
    '--root',
    root,
    '--json',
  );
  assert.equal(get.code, 0, get.err);
  assert.equal(await readFile(join(root, 'a.txt'), 'utf8'), 'alpha');
  assert.deepEqual(await readFile(join(root, 'sub', 'b.bin')), Buffer.alloc(3000, 7));

  const ok = await cairn(
    'artifact',
    'verify',
    'alice/vision/mnist/raw:latest',
    '--root',
    root,
    '--json',
  );
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.json['ok'], true);

  await writeFile(join(root, 'a.txt'), 'changed');
  const bad = await cairn('artifact', 'verify', 'alice/vision/mnist/raw', '--root', root, '--json');
  assert.equal(bad.code, 1);
  assert.equal((bad.json['error'] as { code: string }).code, 'VERIFY_FAILED');
  assert.match(JSON.stringify(bad.json), /a\.txt/);

  const refused = await cairn('artifact', 'rm', 'alice/vision/mnist/raw:v0', '--json');
  assert.equal(refused.code, 1);
  assert.equal((refused.json['error'] as { code: string }).code, 'CONFLICT');
  const removed = await cairn(
    'artifact',
    'rm',
    'alice/vision/mnist/raw:v0',
    '--delete-aliases',
    '--json',
  );
  assert.equal(removed.code, 0, removed.err + removed.out);
  const gone = await cairn('artifact', 'get', 'alice/vision/mnist/raw:v0', '--json');
  assert.equal((gone.json['error'] as { code: string }).code, 'NOT_FOUND');
});

test('bad input gives a clear error, no stack trace', async () => {
  const src = join(work, 'one.txt');
  await writeFile(src, 'x');
  const r = await cairn('artifact', 'put', src, '--name', 'proj/bad name', '--type', 'dataset');
  assert.equal(r.code, 1);
  assert.match(r.err, /error: .*letters, digits/);
  assert.doesNotMatch(r.err, /\n\s+at /);
  const j = await cairn('artifact', 'put', src, '--name', 'proj/ok', '--type', 'a/b', '--json');
  assert.equal((j.json['error'] as { code: string }).code, 'VALIDATION');
  const missing = await cairn(
    'artifact',
    'put',
    join(work, 'nope'),
    '--name',
    'proj/ok',
    '--type',
    't',
  );
  assert.equal(missing.code, 1);
  assert.match(missing.err, /does not exist/);
});

test('`cairn server` starts on the embedded default and answers health', async () => {
  const data = join(work, 'served');
  const child = spawn(process.execPath, [bin, 'server', '--port', '0', '--data', data], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', (c) => reject(new Error(`exited ${c}`)));
    });
    const res = await fetch(`${url}/api/v1/health`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { ok: boolean }).ok, true);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  const refused = spawnSync(
    process.execPath,
    [bin, 'server', '--host', '0.0.0.0', '--port', '0', '--data', data],
    {
      encoding: 'utf8',
      env: { ...process.env, CAIRN_API_KEY: '' },
    },
  );
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /API key/i);
  const badDb = spawnSync(
    process.execPath,
    [bin, 'server', '--port', '0', '--data', data, '--database', 'mysql://db/x'],
    { encoding: 'utf8' },
  );
  assert.equal(badDb.status, 1);
  assert.match(badDb.stderr, /postgres:\/\/ URL/);
});

test('`cairn gc` collects what a deleted version left and reports it', async () => {
  const src = join(work, 'gc-src');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'only.txt'), 'bytes only this version has');
  const put = await cairn(
    'artifact',
    'put',
    src,
    '--name',
    'alice/gcproj/tmp',
    '--type',
    'dataset',
    '--json',
  );
  assert.equal(put.code, 0, put.err);
  const rm = await cairn('artifact', 'rm', 'alice/gcproj/tmp:v0', '--delete-aliases', '--json');
  assert.equal(rm.code, 0, rm.err);
  const gc = await cairn('gc', '--grace', '0', '--json');
  assert.equal(gc.code, 0, gc.err);
  assert.ok((gc.json['blobsUnlinked'] as number) >= 1, JSON.stringify(gc.json));
  const human = await cairn('gc', '--grace', '0');
  assert.match(human.out, /unlinked \d+ blobs/);
  const bad = await cairn('gc', '--grace', 'soon');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--grace/);
});

test('`cairn artifact link` and `unlink` manage registry links', async () => {
  const src = join(work, 'link-src');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'm.bin'), 'model bytes');
  const put = await cairn(
    'artifact',
    'put',
    src,
    '--name',
    'alice/models/net',
    '--type',
    'model',
    '--json',
  );
  assert.equal(put.code, 0, put.err);
  const res = await fetch(`${server.url}/api/v1/registries/collections`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ registry: 'model', name: 'net', type: 'model' }),
  });
  assert.equal(res.status, 200);
  const link = await cairn(
    'artifact',
    'link',
    'alice/models/net:v0',
    'registry/model/net',
    '--alias',
    'prod',
    '--json',
  );
  assert.equal(link.code, 0, link.err);
  assert.equal(link.json['qualifiedName'], 'registry/model/net:v0');
  const unlink = await cairn('artifact', 'unlink', 'registry/model/net:prod');
  assert.equal(unlink.code, 0, unlink.err);
  assert.match(unlink.out, /unlinked registry\/model\/net:v0/);
  const missing = await cairn('artifact', 'link', 'alice/models/net:v0', 'registry/model/none');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /create it first/);
});
