import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { MetaStore, NewVersion, VersionRecord } from '../src/store/meta/meta-store.js';
import type { Database } from '../src/store/meta/schema.js';
import { openPostgresDatabase } from '../src/store/meta/postgres.js';
import { openSqliteDatabase } from '../src/store/meta/sqlite.js';
import { KyselyMetaStore } from '../src/store/meta/kysely-meta-store.js';
import { freshPostgres } from './backends.js';

/**
 * One contract, every metadata backend: what the services rely on from any MetaStore, run on
 * real databases. PostgreSQL joins when CAIRN_TEST_POSTGRES_URL names a server (the second pass
 * of scripts/run-tests.mjs); its databases are created with a locale-aware collation (en-US),
 * as production clusters usually have, so ordering that silently depends on the locale shows.
 */
interface Backend {
  name: string;
  /**
   * A fresh, empty database; `second` opens another store on the same one (another server);
   * `analyze` gathers the planner's statistics, as the database's own maintenance would.
   */
  open(): Promise<{ store: MetaStore; second(): Promise<MetaStore>; analyze(): Promise<void> }>;
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const backends: Backend[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'cairn-meta-contract-'));
      const db = await openSqliteDatabase(join(dir, 'cairn.db'));
      const store = new KyselyMetaStore(db);
      cleanups.push(async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      });
      // The embedded database belongs to one server process: a second store is the same one.
      return { store, second: async () => store, analyze: () => analyze(db) };
    },
  },
];
if (process.env['CAIRN_TEST_POSTGRES_URL']) {
  backends.push({
    name: 'postgres',
    async open() {
      const db = await freshPostgres({ collation: 'en-US' });
      if (!db) throw new Error('CAIRN_TEST_POSTGRES_URL vanished');
      const stores: MetaStore[] = [];
      const first = await openPostgresDatabase(db.url);
      const connect = async (kysely?: Kysely<Database>): Promise<MetaStore> => {
        const s = new KyselyMetaStore(kysely ?? (await openPostgresDatabase(db.url)));
        stores.push(s);
        return s;
      };
      const store = await connect(first);
      cleanups.push(async () => {
        for (const s of stores) await s.close();
        await db.drop();
      });
      return { store, second: () => connect(), analyze: () => analyze(first) };
    },
  });
}

/** The planner's statistics, as autovacuum (PostgreSQL) or an `analyze` (SQLite) gathers them. */
async function analyze(db: Kysely<Database>): Promise<void> {
  await sql`analyze`.execute(db);
}

const at = (ms = 0): string => new Date(Date.UTC(2024, 0, 1) + ms).toISOString();
const id = (): string => randomBytes(8).toString('hex');

async function collectionIn(store: MetaStore, name = 'data', type = 'dataset') {
  const e = await store.ensureEntity('alice');
  const p = await store.ensureProject(e.id, 'proj');
  return store.ensureCollection(p.id, name, type);
}

function newVersion(
  collectionId: number,
  idx: number,
  extra: Partial<NewVersion> = {},
): NewVersion {
  return {
    id: id(),
    collectionId,
    idx,
    digest: `digest-${idx}`,
    description: null,
    metadata: { n: idx },
    size: 0,
    fileCount: 0,
    commitHash: id(),
    createdAt: at(idx),
    updatedAt: at(idx),
    ttlMs: null,
    entries: [],
    ...extra,
  };
}

/** What the upload service does to commit: lock the collection, take the next index, insert. */
async function commit(
  store: MetaStore,
  collection: string,
  digest: string,
): Promise<VersionRecord> {
  return store.transaction(async (tx) => {
    const c = await collectionIn(tx, collection);
    await tx.touchCollection(c.id, new Date().toISOString());
    const idx = ((await tx.maxVersionIdx(c.id)) ?? -1) + 1;
    const v = newVersion(c.id, idx, { digest });
    await tx.insertVersion(v);
    const got = await tx.getVersion(v.id);
    assert.ok(got);
    return got;
  });
}

/** Code-point order (UTF-8 byte order), which cursors and manifests promise on every backend. */
function codePointSorted(xs: string[]): string[] {
  return [...xs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

// Names whose code-point order differs from a locale's: case, punctuation, accents, astral
// characters (which UTF-16 order, JavaScript's default sort, places before U+FFxx).
const TRICKY = ['b', 'B', 'a', '_x', 'A1', 'a-b', 'ab', 'é', 'z', '\u{1F600}', '\uFF5E', '10', '9'];

for (const backend of backends) {
  describe(`MetaStore contract: ${backend.name}`, () => {
    test('ensure entity, project and collection: idempotent, concurrent-safe, type kept', async () => {
      const { store } = await backend.open();
      const [e1, e2] = await Promise.all([store.ensureEntity('bob'), store.ensureEntity('bob')]);
      assert.equal(e1.id, e2.id);
      assert.deepEqual(await store.findEntity('bob'), e1);
      assert.equal(await store.findEntity('nobody'), undefined);
      const p = await store.ensureProject(e1.id, 'vision/mnist');
      assert.deepEqual(await store.ensureProject(e1.id, 'vision/mnist'), p);
      assert.equal(p.entityId, e1.id);
      const c = await store.ensureCollection(p.id, 'raw', 'dataset');
      // A second ensure with another type finds the existing collection; the caller checks types.
      const again = await store.ensureCollection(p.id, 'raw', 'model');
      assert.equal(again.id, c.id);
      assert.equal(again.type, 'dataset');
      assert.equal(c.entity, 'bob');
      assert.equal(c.project, 'vision/mnist');
      assert.deepEqual(await store.getCollection(c.id), c);
      assert.equal(await store.findCollection(p.id, 'other'), undefined);
      await store.setCollectionDescription(c.id, 'the raw data');
      assert.equal((await store.getCollection(c.id))?.description, 'the raw data');
    });

    test('concurrent commits get consecutive indexes, none repeated, across two stores', async () => {
      const { store, second } = await backend.open();
      const other = await second();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => commit(i % 2 === 0 ? store : other, 'busy', `d${i}`)),
      );
      assert.deepEqual(
        results.map((v) => v.idx).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i),
      );
      const c = await collectionIn(store, 'busy');
      assert.equal(await store.maxVersionIdx(c.id), 19);
      assert.equal((await store.latestVersion(c.id))?.idx, 19);
    });

    test('latest skips deleted versions; indexes are never reused; digest and idx lookups', async () => {
      const { store } = await backend.open();
      const v0 = await commit(store, 'data', 'same');
      const v1 = await commit(store, 'data', 'other');
      const c = await collectionIn(store);
      await store.updateVersion(v1.id, { state: 'DELETED', updatedAt: at(99) });
      assert.equal((await store.latestVersion(c.id))?.id, v0.id);
      assert.equal(await store.maxVersionIdx(c.id), 1, 'a deleted version keeps its index');
      assert.equal((await commit(store, 'data', 'third')).idx, 2);
      assert.equal((await store.findVersionByIdx(c.id, 1))?.state, 'DELETED');
      assert.equal(await store.findVersionByDigest(c.id, 'other'), undefined);
      assert.equal((await store.findVersionByDigest(c.id, 'same'))?.id, v0.id);
      const listed = await store.listVersions(c.id, { limit: 10 });
      assert.deepEqual(
        listed.map((v) => v.idx),
        [0, 2],
      );
      const [withCount] = await store.listCollections(c.projectId, { limit: 10 });
      assert.equal(withCount?.versionCount, 2);
    });

    test('version fields round-trip: metadata, ttl (own, none, inherited), update patches', async () => {
      const { store } = await backend.open();
      const c = await collectionIn(store);
      const v = newVersion(c.id, 0, {
        description: 'first',
        metadata: { nested: { a: [1, 'two', null] }, unicode: 'é\u{1F600}' },
        size: 2 ** 40,
        fileCount: 3,
        ttlMs: 'inherit',
      });
      await store.insertVersion(v);
      const got = await store.getVersion(v.id);
      assert.deepEqual(got, {
        id: v.id,
        collectionId: c.id,
        idx: 0,
        digest: v.digest,
        state: 'COMMITTED',
        description: 'first',
        metadata: v.metadata,
        size: 2 ** 40,
        fileCount: 3,
        commitHash: v.commitHash,
        createdAt: v.createdAt,
        updatedAt: v.updatedAt,
        ttlMs: 'inherit',
        sourceVersionId: null,
        historyStep: null,
      });
      await store.updateVersion(v.id, { ttlMs: 60_000, description: null, metadata: {} });
      const patched = await store.getVersion(v.id);
      assert.equal(patched?.ttlMs, 60_000);
      assert.equal(patched?.description, null);
      assert.deepEqual(patched?.metadata, {});
      await store.updateVersion(v.id, {});
      assert.deepEqual(await store.getVersion(v.id), patched);
    });

    test('an alias moves between versions of a collection and is one per collection', async () => {
      const { store } = await backend.open();
      const v0 = await commit(store, 'data', 'a');
      const v1 = await commit(store, 'data', 'b');
      const w0 = await commit(store, 'elsewhere', 'a');
      const c = await collectionIn(store);
      const d = await collectionIn(store, 'elsewhere');
      await store.setAlias(c.id, 'best', v0.id);
      await store.setAlias(c.id, 'latest', v0.id);
      await store.setAlias(d.id, 'best', w0.id);
      assert.deepEqual(await store.aliasesOf(v0.id), ['best', 'latest']);
      await store.setAlias(c.id, 'best', v1.id);
      assert.deepEqual(await store.aliasesOf(v0.id), ['latest']);
      assert.deepEqual(await store.aliasesOf(v1.id), ['best']);
      assert.equal((await store.findVersionByAlias(c.id, 'best'))?.id, v1.id);
      assert.equal((await store.findVersionByAlias(d.id, 'best'))?.id, w0.id, 'other collection');
      // Two moves of one alias at once: it ends on exactly one of them.
      await Promise.all([
        store.transaction((tx) => tx.setAlias(c.id, 'prod', v0.id)),
        store.transaction((tx) => tx.setAlias(c.id, 'prod', v1.id)),
      ]);
      const holders = [...(await store.aliasesOf(v0.id)), ...(await store.aliasesOf(v1.id))];
      assert.equal(holders.filter((a) => a === 'prod').length, 1);
      await store.removeAlias(c.id, 'best');
      assert.equal(await store.findVersionByAlias(c.id, 'best'), undefined);
      await store.removeAliasesOf(v0.id);
      assert.deepEqual(await store.aliasesOf(v0.id), []);
      assert.equal((await store.findVersionByAlias(d.id, 'best'))?.id, w0.id);
    });

    test('aliases and tags list in code-point order; setTags replaces', async () => {
      const { store } = await backend.open();
      const v = await commit(store, 'data', 'x');
      const c = await collectionIn(store);
      for (const a of TRICKY) await store.setAlias(c.id, a, v.id);
      assert.deepEqual(await store.aliasesOf(v.id), codePointSorted(TRICKY));
      await store.setTags(v.id, TRICKY);
      assert.deepEqual(await store.tagsOf(v.id), codePointSorted(TRICKY));
      await store.setTags(v.id, ['only']);
      assert.deepEqual(await store.tagsOf(v.id), ['only']);
      await store.setTags(v.id, []);
      assert.deepEqual(await store.tagsOf(v.id), []);
    });

    test('collections, versions and entries page in code-point / index order without gaps', async () => {
      const { store } = await backend.open();
      const e = await store.ensureEntity('alice');
      const p = await store.ensureProject(e.id, 'proj');
      for (const name of TRICKY)
        await store.ensureCollection(p.id, name, name === 'z' ? 'model' : 'dataset');
      const names: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.listCollections(p.id, {
          limit: 4,
          ...(after === undefined ? {} : { afterName: after }),
        });
        names.push(...page.map((x) => x.name));
        if (page.length < 4) break;
        after = page[page.length - 1]?.name;
      }
      assert.deepEqual(names, codePointSorted(TRICKY));
      const models = await store.listCollections(p.id, { type: 'model', limit: 10 });
      assert.deepEqual(
        models.map((x) => x.name),
        ['z'],
      );

      const c = await store.ensureCollection(p.id, 'versions', 'dataset');
      for (let i = 0; i < 7; i++) await store.insertVersion(newVersion(c.id, i));
      const idxs: number[] = [];
      let afterIdx: number | undefined;
      for (;;) {
        const page = await store.listVersions(c.id, {
          limit: 3,
          ...(afterIdx === undefined ? {} : { afterIdx }),
        });
        idxs.push(...page.map((v) => v.idx));
        if (page.length < 3) break;
        afterIdx = page[page.length - 1]?.idx;
      }
      assert.deepEqual(idxs, [0, 1, 2, 3, 4, 5, 6]);

      const paths = TRICKY.map((t) => `dir/${t}`);
      const v = newVersion(c.id, 7, {
        fileCount: paths.length,
        entries: paths.map((path, i) => ({
          path,
          digest: `md5-${i}`,
          size: i,
          sha256: i % 2 === 0 ? `${i}`.padStart(64, '0') : null,
          ref: i % 2 === 0 ? null : `s3://elsewhere/${i}`,
          birthArtifactId: null,
          extra: i === 1 ? { etag: 'x' } : null,
        })),
      });
      await store.insertVersion(v);
      const seen: string[] = [];
      let afterPath: string | undefined;
      for (;;) {
        const page = await store.entries(v.id, {
          limit: 5,
          ...(afterPath === undefined ? {} : { afterPath }),
        });
        seen.push(...page.map((x) => x.path));
        if (page.length < 5) break;
        afterPath = page[page.length - 1]?.path;
      }
      assert.deepEqual(seen, codePointSorted(paths));
      const named = await store.entries(v.id, { names: ['dir/B', 'dir/nope', 'dir/é'] });
      assert.deepEqual(named.map((x) => x.path).sort(), ['dir/B', 'dir/é']);
      assert.deepEqual(await store.getEntry(v.id, 'dir/b'), {
        path: 'dir/b',
        digest: 'md5-0',
        size: 0,
        sha256: '0'.padStart(64, '0'),
        ref: null,
        birthArtifactId: null,
        extra: null,
      });
      assert.deepEqual((await store.getEntry(v.id, 'dir/B'))?.extra, { etag: 'x' });
      assert.equal(await store.getEntry(v.id, 'dir/none'), undefined);
    });

    test('a transaction that throws leaves nothing behind; nested calls join it', async () => {
      const { store } = await backend.open();
      const c = await collectionIn(store);
      const v = newVersion(c.id, 0, {
        entries: [
          {
            path: 'a',
            digest: 'm',
            size: 1,
            sha256: null,
            ref: null,
            birthArtifactId: null,
            extra: null,
          },
        ],
      });
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.ensureCollection(c.projectId, 'born-and-gone', 'dataset');
          await tx.insertVersion(v);
          await tx.setAlias(c.id, 'best', v.id);
          // insertBlobs opens a transaction of its own: inside one, it must join it.
          await tx.insertBlobs(
            [{ sha256: 'f'.repeat(64), md5: 'm', size: 1, packId: 'p1', offset: 0 }],
            'p1',
            1,
          );
          throw new Error('changed my mind');
        }),
        /changed my mind/,
      );
      assert.equal(await store.getVersion(v.id), undefined);
      assert.deepEqual(await store.entries(v.id, {}), []);
      assert.equal(await store.findVersionByAlias(c.id, 'best'), undefined);
      assert.equal(await store.findCollection(c.projectId, 'born-and-gone'), undefined);
      assert.equal(await store.getBlob('f'.repeat(64)), undefined);
      assert.deepEqual(await store.knownPacks(['p1']), new Set());
    });

    test('a conflict inside a transaction runs it again from the start, then gives up', async () => {
      const { store } = await backend.open();
      const c = await collectionIn(store);
      await store.insertVersion(newVersion(c.id, 0));
      let runs = 0;
      // Index 0 is taken: a unique violation, as a concurrent commit would cause.
      await assert.rejects(
        store.transaction(async (tx) => {
          runs++;
          await tx.insertVersion(newVersion(c.id, 0));
        }),
      );
      assert.ok(runs > 1, `ran ${runs} time(s)`);
      let second = 0;
      const v = await store.transaction(async (tx) => {
        second++;
        // The first attempt collides; the retry sees what the others committed and moves on.
        const idx = second === 1 ? 0 : ((await tx.maxVersionIdx(c.id)) ?? -1) + 1;
        const nv = newVersion(c.id, idx);
        await tx.insertVersion(nv);
        return nv;
      });
      assert.equal(second, 2);
      assert.equal((await store.getVersion(v.id))?.idx, 1);
      // Errors that are not conflicts are not retried.
      let once = 0;
      await assert.rejects(
        store.transaction(async () => {
          once++;
          throw new Error('plain failure');
        }),
      );
      assert.equal(once, 1);
    });

    test('blob index: idempotent inserts, lookups, packs; uploads pin blobs until released or expired', async () => {
      const { store } = await backend.open();
      const sha = (n: number): string => `${n}`.padStart(64, 'a');
      await store.insertBlobs(
        [
          { sha256: sha(1), md5: 'm1', size: 10, packId: 'pack-1', offset: 0 },
          { sha256: sha(2), md5: 'm2', size: 20, packId: 'pack-1', offset: 10 },
        ],
        'pack-1',
        30,
      );
      // Already-indexed rows are left as they are (a second upload of the same bytes).
      await store.insertBlobs(
        [
          { sha256: sha(2), md5: 'm2', size: 20, packId: null, offset: 0 },
          { sha256: sha(3), md5: 'm3', size: 5, packId: null, offset: 0 },
        ],
        null,
        0,
      );
      assert.deepEqual(await store.getBlob(sha(2)), {
        sha256: sha(2),
        md5: 'm2',
        size: 20,
        packId: 'pack-1',
        offset: 10,
      });
      const found = await store.findBlobs([sha(1), sha(3), sha(3), sha(9)]);
      assert.deepEqual(found.map((b) => b.sha256).sort(), [sha(1), sha(3)]);
      assert.deepEqual([...(await store.presentBlobs([sha(9), sha(3), sha(1), sha(3)]))].sort(), [
        sha(1),
        sha(3),
      ]);
      assert.equal((await store.presentBlobs([])).size, 0);
      assert.deepEqual(
        (await store.blobsInPack('pack-1')).map((b) => b.offset),
        [0, 10],
      );
      assert.deepEqual(await store.packUsage(), [
        { id: 'pack-1', size: 30, liveBytes: 30, liveBlobs: 2 },
      ]);
      assert.deepEqual(await store.indexedStandalone([sha(1), sha(3)]), new Set([sha(3)]));

      const upload = {
        id: id(),
        entity: 'alice',
        project: 'proj',
        collection: 'data',
        type: 'dataset',
        createdAt: at(0),
        expiresAt: at(1000),
      };
      await store.createUpload(upload, [sha(1), sha(3), sha(3)]);
      assert.deepEqual(await store.getUpload(upload.id), upload);
      const later = new Date(Date.now() + 60_000).toISOString();
      // Pinned by the upload: GC may not take them; the unpinned sha(2) goes.
      const gone = await store.deleteUnreferencedBlobs(later);
      assert.deepEqual(
        gone.map((b) => b.sha256),
        [sha(2)],
      );
      await store.releasePins(upload.id);
      assert.ok(await store.getUpload(upload.id), 'releasing pins keeps the session');
      assert.deepEqual((await store.deleteUnreferencedBlobs(later)).map((b) => b.sha256).sort(), [
        sha(1),
        sha(3),
      ]);
      const expired = { ...upload, id: id(), expiresAt: at(5) };
      await store.createUpload(expired, [sha(4)]);
      assert.equal(await store.deleteExpiredUploads(at(500)), 1);
      assert.equal(await store.getUpload(expired.id), undefined);
      assert.ok(await store.getUpload(upload.id));
      await store.deleteUpload(upload.id);
      assert.equal(await store.getUpload(upload.id), undefined);
    });

    // At this size, with statistics, PostgreSQL no longer hashed the `not in` list of live blobs
    // and rescanned it for every blob: the collection ran for many minutes. The timeout is that failure's bound,
    // not a speed target (one pass takes about a second or two).
    test(
      'garbage collection picks the unreferenced out of 10^5 referenced blobs',
      { timeout: 180_000 },
      async () => {
        const { store, analyze: gatherStatistics } = await backend.open();
        const n = 100_000;
        const sha = (i: number): string => `${i}`.padStart(64, 'c');
        const blob = (i: number) => ({
          sha256: sha(i),
          md5: 'm',
          size: 1,
          packId: 'gc',
          offset: i,
        });
        const live = Array.from({ length: n }, (_, i) => blob(i));
        const dead = Array.from({ length: 30 }, (_, i) => blob(n + i));
        await store.insertBlobs([...live, ...dead], 'gc', n + dead.length);
        const c = await collectionIn(store, 'gc-scale');
        await store.insertVersion(
          newVersion(c.id, 0, {
            fileCount: n,
            entries: live.map((b, i) => ({
              path: `f${i}`,
              digest: 'm',
              size: 1,
              sha256: b.sha256,
              ref: null,
              birthArtifactId: null,
              extra: null,
            })),
          }),
        );
        // The plan that failed is the one chosen once the database knows the tables' sizes.
        await gatherStatistics();
        const later = new Date(Date.now() + 60_000).toISOString();
        const gone = await store.deleteUnreferencedBlobs(later);
        assert.deepEqual(gone.map((b) => b.sha256).sort(), dead.map((b) => b.sha256).sort());
        assert.equal((await store.presentBlobs([sha(0), sha(n - 1), sha(n)])).size, 2);
      },
    );
  });
}
