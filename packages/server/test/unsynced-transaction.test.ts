import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/store/meta/schema.js';
import { openPostgresDatabase } from '../src/store/meta/postgres.js';
import { openSqliteDatabase } from '../src/store/meta/sqlite.js';
import { unsyncedTransaction } from '../src/store/meta/unsynced-transaction.js';
import { freshPostgres } from './backends.js';

/**
 * An upload's bookkeeping commits without waiting for the disk; everything else must keep
 * waiting. What would break silently if the level leaked: every later commit non-durable.
 */
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Dialect {
  name: string;
  open(): Promise<Kysely<Database>>;
  /** The flush level the next statement on `db` commits at: 'durable' or 'unsynced'. */
  level(db: Kysely<Database>): Promise<string>;
}

const dialects: Dialect[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'cairn-unsynced-'));
      const db = await openSqliteDatabase(join(dir, 'cairn.db'));
      cleanups.push(async () => {
        await db.destroy();
        await rm(dir, { recursive: true, force: true });
      });
      return db;
    },
    async level(db) {
      const r = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
      // FULL (2) is what openSqliteDatabase sets; NORMAL (1) skips the WAL's fsync.
      return r.rows[0]?.synchronous === 2 ? 'durable' : 'unsynced';
    },
  },
];
if (process.env['CAIRN_TEST_POSTGRES_URL']) {
  dialects.push({
    name: 'postgres',
    async open() {
      const fresh = await freshPostgres();
      if (!fresh) throw new Error('CAIRN_TEST_POSTGRES_URL vanished');
      const db = await openPostgresDatabase(fresh.url);
      cleanups.push(async () => {
        await db.destroy();
        await fresh.drop();
      });
      return db;
    },
    async level(db) {
      const r = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db);
      return r.rows[0]?.synchronous_commit === 'on' ? 'durable' : 'unsynced';
    },
  });
}

const pack = (id: string) => ({ id, size: 1, created_at: '2026-12-03T00:00:00.000Z' });

for (const d of dialects) {
  test(`${d.name}: an unsynced transaction commits unsynced, and only itself`, async () => {
    const db = await d.open();
    assert.equal(await d.level(db), 'durable');
    let inside = '';
    let racer: Promise<string> | undefined;
    await unsyncedTransaction(db, async (trx) => {
      inside = await d.level(trx);
      // Issued on the pool meanwhile: runs at the durable level, never at the relaxed one.
      racer = d.level(db);
      await trx.insertInto('packs').values(pack('unsynced-1')).execute();
    });
    assert.equal(inside, 'unsynced');
    assert.equal(await racer, 'durable');
    assert.equal(await d.level(db), 'durable');
    const stored = await db
      .selectFrom('packs')
      .select('id')
      .where('id', '=', 'unsynced-1')
      .execute();
    assert.equal(stored.length, 1, 'the commit is a commit');

    // A failure rolls back and still restores the level.
    await assert.rejects(
      unsyncedTransaction(db, async (trx) => {
        await trx.insertInto('packs').values(pack('unsynced-2')).execute();
        throw new Error('fn failed');
      }),
      /fn failed/,
    );
    assert.equal(await d.level(db), 'durable');
    const rolled = await db
      .selectFrom('packs')
      .select('id')
      .where('id', '=', 'unsynced-2')
      .execute();
    assert.equal(rolled.length, 0);
    await db.transaction().execute(async (trx) => {
      assert.equal(await d.level(trx), 'durable', 'a plain transaction after it is durable');
    });
  });
}
