import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FolderListing, PlacementResult, VersionInfo } from '@cairn/core';
import { startServer, type RunningServer } from '@cairn/server';
import { json, logFiles, post } from './helpers.js';
import { place } from './folder-helpers.js';

const admin = process.env['CAIRN_TEST_POSTGRES_URL'];

/** Two servers on one fresh PostgreSQL database: nothing in process memory can serialize them. */
async function twoServers(): Promise<{ apis: string[]; close(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = `cairn_folders_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  const url = new URL(admin ?? '');
  url.pathname = `/${name}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'cairn-folders-multi-'));
  const servers: RunningServer[] = [];
  servers.push(
    await startServer({ port: 0, dataDir, databaseUrl: url.toString(), gcIntervalMs: 0 }),
  );
  servers.push(
    await startServer({ port: 0, dataDir, databaseUrl: url.toString(), gcIntervalMs: 0 }),
  );
  return {
    apis: servers.map((s) => `${s.url}/api/v1`),
    async close() {
      for (const s of servers) await s.close();
      await rm(dataDir, { recursive: true, force: true });
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`drop database if exists ${name} with (force)`);
      await d.end();
    },
  };
}

test(
  'two servers on one PostgreSQL: error lets one upload win, replace leaves one artifact, two moves to one place',
  { skip: admin ? false : 'needs CAIRN_TEST_POSTGRES_URL (.ci/run starts PostgreSQL)' },
  async () => {
    const { apis, close } = await twoServers();
    const api = (i: number) => apis[i % 2] ?? '';
    try {
      await json(post(`${api(0)}/folders`, { entity: 'alice', path: 'shared', parents: true }));
      const errors = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          place(api(i), 'shared', 'one', { f: `client ${i}` }, 'error'),
        ),
      );
      assert.deepEqual(errors.map((r) => r.status).sort(), [200, ...Array<number>(9).fill(409)]);

      const replaces = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          place(api(i), 'shared', 'one', { f: `replacement ${i}` }, 'replace'),
        ),
      );
      const bodies = await Promise.all(replaces.map((r) => json<PlacementResult>(r)));
      // Each replace retired exactly the artifact before it: one chain through all ten.
      assert.equal(new Set(bodies.flatMap((b) => b.retired)).size, 10);
      for (const a of apis) {
        const listing = await json<FolderListing>(fetch(`${a}/folders?entity=alice&path=shared`));
        assert.deepEqual(
          listing.artifacts.map((x) => [x.name, x.versionCount]),
          [['one', 1]],
        );
      }

      await json(post(`${api(0)}/folders`, { entity: 'alice', path: 'src0', parents: true }));
      await json(post(`${api(0)}/folders`, { entity: 'alice', path: 'src1', parents: true }));
      const moves = await Promise.all(
        [0, 1].map((i) =>
          post(`${api(i)}/folders/move`, { entity: 'alice', path: `src${i}`, toPath: 'dest' }),
        ),
      );
      assert.deepEqual(moves.map((r) => r.status).sort(), [200, 409]);
      const live = await json<VersionInfo>(
        fetch(`${api(1)}/versions/resolve?ref=alice/shared/one`),
      );
      assert.ok(bodies.some((b) => b.version.id === live.id));

      // A recursive delete racing commits into the folder: every version that survives is
      // reachable by its path, none is left live in the deleted tree.
      await logFiles(api(0), { project: 'doomed/sub', collection: 'raw' }, { f: 'seed' });
      let firstDone: () => void = () => undefined;
      const first = new Promise<void>((r) => (firstDone = r));
      const [commits, deleted] = await Promise.all([
        Promise.allSettled(
          Array.from({ length: 40 }, (_, i) =>
            logFiles(api(i), { project: 'doomed/sub', collection: 'raw' }, { f: `c${i}` }).finally(
              () => firstDone(),
            ),
          ),
        ),
        // Sent once the first commit is in: the others are in flight.
        first.then(() =>
          fetch(`${api(1)}/folders?entity=alice&path=doomed&recursive=true`, { method: 'DELETE' }),
        ),
      ]);
      assert.equal(deleted.status, 200);
      for (const c of commits) {
        assert.equal(c.status, 'fulfilled');
        const id = (c as PromiseFulfilledResult<{ version: VersionInfo }>).value.version.id;
        const r = await fetch(`${api(0)}/versions/${id}`);
        if (r.status === 404) continue;
        const v = (await r.json()) as VersionInfo;
        assert.equal(v.project, 'doomed/sub', `version ${id} is live at ${v.project}`);
      }
    } finally {
      await close();
    }
  },
);
