import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Artifact } from '../src/index.js';
import { hashBytes } from '../src/hashing.js';
import { tempDir, writeTree } from './fs-helpers.js';

test('file:// references: files hashed, directories walked, maxObjects overflow is an error', async () => {
  const dir = await tempDir();
  await writeTree(dir, { 'data/a.txt': 'A', 'data/sub/b.txt': 'BB', 'data/c.txt': 'CCC' });
  const a = new Artifact({ name: 'refs', type: 'dataset' });
  const one = await a.addReference(pathToFileURL(join(dir, 'data/a.txt')).toString());
  assert.deepEqual(one, ['a.txt']);
  const many = await a.addReference(pathToFileURL(join(dir, 'data')).toString(), { name: 'd' });
  assert.deepEqual(many.sort(), ['d/a.txt', 'd/c.txt', 'd/sub/b.txt']);
  const e = (await a.manifest()).entries.find((x) => x.path === 'd/sub/b.txt');
  assert.equal(e?.digest, hashBytes(Buffer.from('BB')).md5);
  assert.equal(e?.size, 2);
  assert.equal(e?.ref, pathToFileURL(join(dir, 'data/sub/b.txt')).toString());

  const capped = new Artifact({ name: 'refs', type: 'dataset' });
  await assert.rejects(
    capped.addReference(pathToFileURL(join(dir, 'data')).toString(), { maxObjects: 2 }),
    (err: Error & { code?: string }) =>
      err.code === 'LIMIT_EXCEEDED' && /maxObjects=2/.test(err.message),
  );
  assert.equal(capped.fileCount, 0);

  const uri = pathToFileURL(join(dir, 'data/c.txt')).toString();
  const noSum = new Artifact({ name: 'refs', type: 'dataset' });
  await noSum.addReference(uri, { checksum: false });
  assert.equal((await noSum.getEntry('c.txt')).digest, uri);
  await rm(dir, { recursive: true });
});

test('http(s):// references take ETag and Content-Length from a HEAD', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/model.bin') {
      res.writeHead(200, { etag: '"abc123"', 'content-length': '11' });
      res.end(req.method === 'HEAD' ? undefined : 'hello world');
    } else if (req.url === '/plain') {
      res.writeHead(200, { 'content-length': '3' });
      res.end(req.method === 'HEAD' ? undefined : 'abc');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const a = new Artifact({ name: 'web', type: 'model' });
    await a.addReference(`${base}/model.bin`);
    await a.addReference(`${base}/plain`, { name: 'p' });
    await a.addReference(`${base}/model.bin`, { name: 'unsummed', checksum: false });
    const m = await a.manifest();
    const byPath = new Map(m.entries.map((e) => [e.path, e]));
    assert.equal(byPath.get('model.bin')?.digest, 'abc123');
    assert.equal(byPath.get('model.bin')?.size, 11);
    assert.equal(byPath.get('p')?.digest, `${base}/plain`);
    assert.equal(byPath.get('p')?.size, 3);
    assert.equal(byPath.get('unsummed')?.digest, `${base}/model.bin`);
    await assert.rejects(a.addReference(`${base}/missing`), { code: 'NOT_FOUND' });
  } finally {
    server.close();
  }
});
