import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CairnError } from '@cairn/core';
import type { BlobStore } from '../src/store/blob/blob-store.js';
import { FsBlobStore } from '../src/store/blob/fs-blob-store.js';
import { S3BlobStore, S3_PART_BYTES } from '../src/store/blob/s3-blob-store.js';
import { testS3, type TestS3 } from './s3.js';

/** One contract, every backend: what services may rely on from any BlobStore. */
interface Backend {
  name: string;
  open(): Promise<BlobStore>;
  cleanup(): Promise<void>;
}

let s3: TestS3 | undefined;
const dirs: string[] = [];
const backends: Backend[] = [
  {
    name: 'filesystem',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'cairn-contract-'));
      dirs.push(dir);
      return FsBlobStore.open(dir);
    },
    async cleanup() {
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  },
  {
    name: 's3',
    async open() {
      s3 ??= await testS3();
      return S3BlobStore.open(s3.location());
    },
    async cleanup() {},
  },
];

after(async () => {
  await s3?.close();
});

function bytesOf(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 10)) & 0xff;
  return b;
}

async function* chunks(b: Uint8Array, size = 1 << 20): AsyncIterable<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function* failingAfter(b: Uint8Array, size = 1 << 20): AsyncIterable<Uint8Array> {
  yield* chunks(b, size);
  throw new Error('source broke');
}

async function readAll(s: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

async function keys(store: BlobStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of store.list(prefix)) out.push(k);
  return out.sort();
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

for (const backend of backends) {
  describe(`BlobStore contract: ${backend.name}`, () => {
    let store: BlobStore;
    before(async () => {
      store = await backend.open();
    });
    after(async () => {
      await store.close();
      await backend.cleanup();
    });

    test('put makes the whole object readable: get, ranges, readRange, head, list', async () => {
      const b = bytesOf(300_000, 1);
      const key = `blobs/${sha(b).slice(0, 2)}/${sha(b)}`;
      assert.equal(await store.put(key, chunks(b, 65536)), b.length);
      assert.equal(await store.head(key), b.length);
      assert.deepEqual(await readAll(await store.get(key)), b);
      assert.deepEqual(
        await readAll(await store.get(key, { start: 1000, end: 1999 })),
        b.subarray(1000, 2000),
      );
      assert.deepEqual(Buffer.from(await store.readRange(key, 299_990, 10)), b.subarray(299_990));
      assert.equal((await store.readRange(key, 5, 0)).byteLength, 0);
      assert.ok((await keys(store, 'blobs')).includes(key));
    });

    test('an empty object is an object', async () => {
      assert.equal(await store.put('packs/00/empty', chunks(Buffer.alloc(0))), 0);
      assert.equal(await store.head('packs/00/empty'), 0);
      assert.equal((await readAll(await store.get('packs/00/empty'))).length, 0);
    });

    test('a source that fails leaves no trace, small or multipart-sized', async () => {
      for (const size of [1000, S3_PART_BYTES * 2 + 5]) {
        const key = `packs/aa/failed${size}`;
        await assert.rejects(store.put(key, failingAfter(bytesOf(size, 2))), /source broke/);
        assert.equal(await store.head(key), undefined);
        assert.ok(!(await keys(store, 'packs')).includes(key));
      }
    });

    test('a writer shows nothing until commit, then everything; abort drops it all', async () => {
      const big = bytesOf(S3_PART_BYTES * 2 + 12345, 3);
      const w = await store.createWriter('packs/bb/written');
      for await (const c of chunks(big, 300_000)) await w.write(c);
      assert.equal(await store.head('packs/bb/written'), undefined, 'invisible before commit');
      assert.equal(await w.commit(), big.length);
      assert.equal(await store.head('packs/bb/written'), big.length);
      assert.equal(sha(await readAll(await store.get('packs/bb/written'))), sha(big));
      assert.deepEqual(
        Buffer.from(await store.readRange('packs/bb/written', S3_PART_BYTES - 10, 20)),
        big.subarray(S3_PART_BYTES - 10, S3_PART_BYTES + 10),
        'a range across a part boundary',
      );

      const dropped = await store.createWriter('packs/bb/dropped');
      for await (const c of chunks(big)) await dropped.write(c);
      await dropped.abort();
      await dropped.abort();
      assert.equal(await store.head('packs/bb/dropped'), undefined);
    });

    test('writeAll writes its chunks in order, between plain writes, across batches and parts', async () => {
      const big = bytesOf(S3_PART_BYTES * 2 + 777, 5);
      const pieces: Uint8Array[] = [];
      for await (const c of chunks(big, 4096 + 7)) pieces.push(c);
      const w = await store.createWriter('packs/bb/all');
      const [first, ...rest] = pieces;
      await w.write(first as Uint8Array);
      const half = Math.floor(rest.length / 2);
      await w.writeAll(rest.slice(0, half));
      await w.writeAll([]);
      await w.writeAll(rest.slice(half, -1));
      await w.write(rest.at(-1) as Uint8Array);
      assert.equal(await w.commit(), big.length);
      assert.equal(sha(await readAll(await store.get('packs/bb/all'))), sha(big));
    });

    test('writing an existing key again keeps its bytes', async () => {
      const b = bytesOf(5000, 4);
      await store.put('packs/cc/same', chunks(b));
      await store.put('packs/cc/same', chunks(b));
      assert.deepEqual(await readAll(await store.get('packs/cc/same')), b);
    });

    test('missing objects: get is NOT_FOUND, head undefined, delete a no-op', async () => {
      await assert.rejects(
        store.get('packs/dd/none'),
        (e: unknown) => e instanceof CairnError && e.code === 'NOT_FOUND',
      );
      assert.equal(await store.head('packs/dd/none'), undefined);
      await store.delete('packs/dd/none');
      await assert.rejects(store.readRange('packs/bb/written', S3_PART_BYTES * 3, 10));
    });

    test('delete removes; list names only keys under its prefix', async () => {
      await store.put('packs/ee/one', chunks(Buffer.from('1')));
      await store.put('packs/ef/two', chunks(Buffer.from('2')));
      await store.put('blobs/ee/three', chunks(Buffer.from('3')));
      const packs = await keys(store, 'packs');
      assert.ok(packs.includes('packs/ee/one') && packs.includes('packs/ef/two'));
      assert.ok(packs.every((k) => k.startsWith('packs/')));
      await store.delete('packs/ee/one');
      assert.ok(!(await keys(store, 'packs')).includes('packs/ee/one'));
      assert.equal(await store.head('packs/ee/one'), undefined);
    });

    test('keys that could escape the store are refused', async () => {
      await assert.rejects(store.head('../etc/passwd'));
      await assert.rejects(store.put('packs/../x', chunks(Buffer.from('x'))));
    });
  });
}

test('S3: large objects go up in parts, small ones in one request', async () => {
  s3 ??= await testS3();
  const store = await S3BlobStore.open(s3.location());
  try {
    const before = store.requestCounts();
    await store.put('packs/ff/big', chunks(bytesOf(S3_PART_BYTES * 2 + 1, 5)));
    await store.put('packs/ff/small', chunks(bytesOf(100, 6)));
    const after = store.requestCounts();
    const delta = (op: string) => (after[op] ?? 0) - (before[op] ?? 0);
    assert.equal(delta('CreateMultipartUpload'), 1);
    assert.equal(delta('UploadPart'), 3);
    assert.equal(delta('CompleteMultipartUpload'), 1);
    assert.equal(delta('PutObject'), 1);
  } finally {
    await store.close();
  }
});

test('S3: a bucket that does not exist fails at startup with a clear error', async () => {
  s3 ??= await testS3();
  await assert.rejects(
    S3BlobStore.open({ ...s3.location(), bucket: 'no-such-bucket' }),
    (e: unknown) =>
      e instanceof CairnError && e.code === 'UNAVAILABLE' && /no-such-bucket/.test(e.message),
  );
});
