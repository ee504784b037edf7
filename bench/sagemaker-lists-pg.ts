/**
 * SageMaker List* paging on PostgreSQL at the lineage bench's scale (issue 4): 100,000 artifact
 * versions, 20,000 runs and 300,000 associations written straight into a fresh database with
 * generate_series (after the server has created the schema), then every version walked with
 * ListArtifacts 100 a page, and 300 pages of ListAssociations in each sort and a type filter.
 * Needs CAIRN_BENCH_POSTGRES_URL (an admin URL, e.g. from `bash .ci/postgres.sh`); skipped without.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startServerProcess } from './server-process.js';

const admin = process.env['CAIRN_BENCH_POSTGRES_URL'];
if (!admin) {
  console.log('sagemaker-lists-pg: set CAIRN_BENCH_POSTGRES_URL to run it; skipped');
  process.exit(0);
}
const name = `cairn_bench_${Date.now()}`;
const url = new URL(admin);
url.pathname = `/${name}`;
const work = await mkdtemp(join(tmpdir(), 'cairn-bench-smpg-'));

async function onAdmin(query: string): Promise<void> {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(query);
  await c.end();
}

const iso = (ms: string) =>
  `to_char(timestamp '2026-01-01' + ${ms} * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const ARN = "'arn:aws:sagemaker:us-east-1:000000000000:";
const FILL = [
  "insert into entities (name, created_at) values ('bench', '2026-01-01T00:00:00.000Z')",
  "insert into projects (entity_id, path, created_at) values (1, 'lineage', '2026-01-01T00:00:00.000Z')",
  "insert into collections (project_id, name, type, description, created_at, updated_at) values (1, 'data', 'dataset', null, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
  // Ten versions a millisecond, so many share a CreationTime and the tie-breaker matters.
  `insert into versions (id, collection_id, idx, digest, state, description, metadata, size, file_count, commit_hash, created_at, updated_at)
   select md5('v'||g), 1, g, md5('d'||g), 'COMMITTED', null, '{}', 0, 0, 'bench', ${iso('(g/10)')}, ${iso('(g/10)')}
   from generate_series(0, 99999) g`,
  `insert into runs (id, entity, project, name, job_type, config, state, exit_code, step, heartbeat_at, created_at, finished_at)
   select md5('r'||g), 'bench', 'lineage', 'run-'||g, 'train', '{}', 'finished', 0, 0, '2026-01-01T00:00:00.000Z', ${iso('g')}, null
   from generate_series(0, 19999) g`,
  `insert into associations (source_arn, dest_arn, type, created_at)
   select ${ARN}artifact/'||md5('v'||((r*5 + k*7) % 100000)), ${ARN}action/'||md5('r'||r), 'ContributedTo', ${iso('r')}
   from generate_series(0, 19999) r, generate_series(0, 9) k`,
  `insert into associations (source_arn, dest_arn, type, created_at)
   select ${ARN}action/'||md5('r'||r), ${ARN}artifact/'||md5('v'||(r*5 + k)), 'Produced', ${iso('r')}
   from generate_series(0, 19999) r, generate_series(0, 4) k`,
  'analyze',
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function sageMaker(base: string, operation: string, body: unknown) {
  const res = await fetch(`${base}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `SageMaker.${operation}`,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${operation} answered ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown> & { NextToken?: string };
}

/** Walks up to `maxPages` pages of 100; checks nothing repeats. */
async function walk(base: string, operation: string, input: object, maxPages: number) {
  const times: number[] = [];
  const seen = new Set<string>();
  let rows = 0;
  let token: string | undefined;
  const started = Date.now();
  do {
    const t = performance.now();
    const page = await sageMaker(base, operation, {
      ...input,
      MaxResults: 100,
      ...(token ? { NextToken: token } : {}),
    });
    times.push(performance.now() - t);
    const items = (Object.values(page).find(Array.isArray) ?? []) as Record<string, string>[];
    for (const x of items) {
      seen.add(x['ArtifactArn'] ?? x['ActionArn'] ?? `${x['SourceArn']} ${x['DestinationArn']}`);
    }
    rows += items.length;
    token = page.NextToken;
  } while (token && times.length < maxPages);
  if (seen.size !== rows) throw new Error(`${operation} repeated ${rows - seen.size} rows`);
  times.sort((a, b) => a - b);
  return `| ${operation} ${JSON.stringify(input)} | ${times.length} | ${rows} | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 99).toFixed(1)} | ${((Date.now() - started) / 1000).toFixed(1)} |`;
}

try {
  await onAdmin(`create database ${name}`);
  const env = { CAIRN_DATABASE_URL: url.toString() };
  await (await startServerProcess(join(work, 'data'), env)).stop();
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  const built = Date.now();
  for (const q of FILL) await db.query(q);
  await db.end();
  const buildSeconds = (Date.now() - built) / 1000;
  const server = await startServerProcess(join(work, 'data'), env);
  try {
    const rows = [
      await walk(server.url, 'ListArtifacts', {}, Infinity),
      await walk(
        server.url,
        'ListArtifacts',
        { ArtifactType: 'dataset', SortOrder: 'Ascending' },
        300,
      ),
      await walk(server.url, 'ListActions', { SortBy: 'Name' }, Infinity),
      await walk(server.url, 'ListAssociations', {}, 300),
      await walk(
        server.url,
        'ListAssociations',
        { SortBy: 'SourceArn', SortOrder: 'Ascending' },
        300,
      ),
      await walk(server.url, 'ListAssociations', { SortBy: 'DestinationType' }, 300),
      await walk(server.url, 'ListAssociations', { SourceType: 'train' }, 300),
    ];
    console.log(
      `PostgreSQL: 100000 versions, 20000 runs, 300000 associations (filled in ${buildSeconds.toFixed(1)} s); load average ${loadavg()[0]?.toFixed(1)}`,
    );
    console.log('| list, 100 a page | pages | rows | median ms/page | p99 ms/page | total s |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const r of rows) console.log(r);
  } finally {
    await server.stop();
  }
} finally {
  await onAdmin(`drop database if exists ${name} with (force)`);
  await rm(work, { recursive: true, force: true });
}
