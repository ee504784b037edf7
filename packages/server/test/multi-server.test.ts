import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ManifestBody, Page, VersionInfo } from '@cairn/core';
import { startServer } from '@cairn/server';
import { json, logFiles, sha256 } from './helpers.js';

const admin = process.env['CAIRN_TEST_POSTGRES_URL'];

test(
  'two servers sharing one PostgreSQL database: 20 clients through both get consecutive versions',
  { skip: admin ? false : 'needs CAIRN_TEST_POSTGRES_URL (.ci/run starts PostgreSQL)' },
  async () => {
    const { default: pg } = await import('pg');
    const name = `cairn_multi_${randomBytes(6).toString('hex')}`;
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`create database ${name}`);
    await c.end();
    const url = new URL(admin ?? '');
    url.pathname = `/${name}`;
    const dataDir = await mkdtemp(join(tmpdir(), 'cairn-multi-'));
    const a = await startServer({ port: 0, dataDir, databaseUrl: url.toString() });
    const b = await startServer({ port: 0, dataDir, databaseUrl: url.toString() });
    try {
      const apis = [`${a.url}/api/v1`, `${b.url}/api/v1`];
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          logFiles(apis[i % 2] ?? '', { collection: 'shared' }, { [`f${i}`]: `client ${i}` }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.version.index).sort((x, y) => x - y),
        Array.from({ length: 20 }, (_, i) => i),
      );
      // Each server sees every version, and every version's bytes come back from either one.
      for (const api of apis) {
        const page = await json<Page<VersionInfo>>(
          fetch(`${api}/versions?entity=alice&project=proj&collection=shared&limit=100`),
        );
        assert.equal(page.items.length, 20);
        const latest = page.items.find((v) => v.aliases.includes('latest'));
        assert.equal(latest?.index, 19);
      }
      for (const [i, r] of results.entries()) {
        const api = apis[(i + 1) % 2] ?? '';
        const m = await json<ManifestBody>(fetch(`${api}/versions/${r.version.id}/manifest`));
        const e = m.entries[0];
        assert.ok(e);
        const bytes = Buffer.from(await (await fetch(`${api}/blobs/${e.sha256}`)).arrayBuffer());
        assert.equal(sha256(bytes), e.sha256);
      }
    } finally {
      await a.close();
      await b.close();
      await rm(dataDir, { recursive: true, force: true });
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`drop database if exists ${name} with (force)`);
      await d.end();
    }
  },
);
