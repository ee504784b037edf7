import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BlobService, blobKey } from '../src/service/blob-service.js';
import { GcService } from '../src/service/gc-service.js';
import type { BlobStore } from '../src/store/blob/blob-store.js';
import { FsBlobStore } from '../src/store/blob/fs-blob-store.js';
import { KyselyMetaStore } from '../src/store/meta/kysely-meta-store.js';
import { openPostgresDatabase } from '../src/store/meta/postgres.js';
import { openSqliteDatabase } from '../src/store/meta/sqlite.js';
import { freshPostgres } from './backends.js';
import { sha256 } from './helpers.js';

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

// Rule 10 of docs/storage-invariants.md: a stand-alone blob stored again while a collection is
// deleting its retired copy. The real stores run; the file store's delete is held at a gate so
// the re-upload lands exactly between the collection's claim and the deletion of the bytes.
test('a blob re-uploaded while its retired copy is being deleted stays stored and indexed', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'cairn-reupload-'));
  const pg = await freshPostgres();
  const db = pg
    ? await openPostgresDatabase(pg.url)
    : await openSqliteDatabase(join(dataDir, 'cairn.db'));
  const meta = new KyselyMetaStore(db);
  const fs = await FsBlobStore.open(dataDir);
  let reached!: () => void;
  const deleteReached = new Promise<void>((r) => (reached = r));
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const gated: BlobStore = {
    put: (k, s) => fs.put(k, s),
    createWriter: (k) => fs.createWriter(k),
    get: (k, r) => fs.get(k, r),
    readRange: (k, s, l) => fs.readRange(k, s, l),
    head: (k) => fs.head(k),
    list: (p) => fs.list(p),
    close: () => fs.close(),
    async delete(key) {
      reached();
      await gate;
      await fs.delete(key);
    },
  };
  try {
    const blobs = new BlobService(meta, gated);
    const gc = new GcService(meta, gated);
    const bytes = Buffer.from('stand-alone bytes stored twice');
    const sha = sha256(bytes);
    await blobs.putBlob(once(bytes), sha);
    await new Promise((r) => setTimeout(r, 10)); // older than the sweep: a candidate

    // Nothing names the blob: the collection unlinks it, retires the key, claims it (grace 0)
    // and is held at the deletion of its bytes.
    const collecting = gc.run({ graceMs: 0 });
    await deleteReached;
    let stored = false;
    const reupload = blobs.putBlob(once(bytes), sha).then((b) => {
      stored = true;
      return b;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(stored, false, 'the writer waits while the old bytes are being deleted');
    open();
    const report = await collecting;
    assert.equal(report.objectsDeleted, 1);
    const info = await reupload;
    assert.equal(info.sha256, sha);

    // The index names the blob and its bytes are there (before the fix: indexed, bytes gone).
    assert.equal((await meta.getBlob(sha))?.packId, null);
    assert.equal(await fs.head(blobKey(sha)), bytes.length);
    assert.deepEqual(Buffer.from(await fs.readRange(blobKey(sha), 0, bytes.length)), bytes);
    // The key is neither retired nor claimed any more.
    assert.deepEqual(await meta.retiredObjects('9999'), []);
  } finally {
    open();
    await meta.close();
    await fs.close();
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
