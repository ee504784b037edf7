/**
 * Garbage collection over 100,000 versions (issue 3): each version holds one file; half of the
 * versions are deleted, so a collection unlinks 50,000 blobs and retires their objects. Prints
 * the time of `POST /api/v1/gc` and the server's peak memory before and after.
 * Sizes: CAIRN_BENCH_GC_VERSIONS (default 100000).
 */
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from './server-process.js';

const VERSIONS = Number(process.env['CAIRN_BENCH_GC_VERSIONS'] ?? 100_000);
const work = await mkdtemp(join(tmpdir(), 'cairn-bench-gc-'));
const dataDir = join(work, 'data');

try {
  // Schema from the server, rows written directly: this measures the collector, not uploads.
  await (await startServerProcess(dataDir)).stop();
  const db = new Database(join(dataDir, 'cairn.db'));
  const old = new Date(Date.now() - 3600_000).toISOString();
  db.exec('begin');
  db.prepare("insert into entities (name, created_at) values ('bench', ?)").run(old);
  db.prepare("insert into projects (entity_id, path, created_at) values (1, 'gc', ?)").run(old);
  db.prepare(
    "insert into collections (project_id, name, type, description, created_at, updated_at) values (1, 'data', 'dataset', null, ?, ?)",
  ).run(old, old);
  const version = db.prepare(
    "insert into versions (id, collection_id, idx, digest, state, description, metadata, size, file_count, commit_hash, created_at, updated_at) values (?, 1, ?, ?, ?, null, '{}', 16, 1, 'bench', ?, ?)",
  );
  const entry = db.prepare(
    'insert into entries (version_id, path, digest, size, sha256, ref, birth_artifact_id, extra) values (?, ?, ?, 16, ?, null, ?, null)',
  );
  const blob = db.prepare(
    'insert into blobs (sha256, md5, size, pack_id, offset, created_at) values (?, ?, 16, null, 0, ?)',
  );
  for (let i = 0; i < VERSIONS; i++) {
    const id = randomBytes(16).toString('hex');
    const bytes = randomBytes(16);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const md5 = createHash('md5').update(bytes).digest('base64');
    version.run(id, i, randomBytes(16).toString('hex'), i % 2 ? 'DELETED' : 'COMMITTED', old, old);
    entry.run(id, `f${i}`, md5, sha, id);
    blob.run(sha, md5, old);
  }
  db.exec('commit');
  db.close();

  const server = await startServerProcess(dataDir, { CAIRN_GC_INTERVAL_MS: '0' });
  try {
    const before = await server.peakRssMb();
    const t = process.hrtime.bigint();
    const res = await fetch(`${server.url}/api/v1/gc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ graceMs: 0 }),
    });
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    const report = (await res.json()) as { blobsUnlinked?: number; objectsDeleted?: number };
    if (res.status !== 200) throw new Error(`gc answered ${res.status}: ${JSON.stringify(report)}`);
    const after = await server.peakRssMb();
    console.log(
      `| GC over ${VERSIONS} versions (half deleted) | seconds | blobs unlinked | server peak RSS |`,
    );
    console.log('| --- | --- | --- | --- |');
    console.log(
      `| one collection | ${seconds.toFixed(2)} | ${report.blobsUnlinked} | ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after |`,
    );
  } finally {
    await server.stop();
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
