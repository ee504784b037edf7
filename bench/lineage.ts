/**
 * Lineage queries on a large graph (issue 3): 100,000 artifact versions and 20,000 runs, each
 * run consuming 10 versions logged shortly before it and producing 5 (300,000 edges), a
 * pipeline-shaped graph. Prints median and p99 of depth-10 queries from leaves, upstream and
 * downstream, over 100 queries each, through the REST API of a server in its own process, then
 * the same through the SageMaker face (QueryLineage, issue 4), and ListArtifacts walking every
 * version of the graph page by page (they are all SageMaker artifacts).
 * Sizes: CAIRN_BENCH_LINEAGE_RUNS (default 20000).
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatArn } from '@cairn/core';
import { startServerProcess } from './server-process.js';

const RUNS = Number(process.env['CAIRN_BENCH_LINEAGE_RUNS'] ?? 20_000);
const OUT_PER_RUN = 5;
const IN_PER_RUN = 10;
const WINDOW = 50;
const work = await mkdtemp(join(tmpdir(), 'cairn-bench-lineage-'));
const dataDir = join(work, 'data');

const hex = () => randomBytes(16).toString('hex');

/** A SageMaker JSON call; the bench server has no access keys, so loopback accepts it unsigned. */
async function sageMaker<T>(url: string, operation: string, body: unknown): Promise<T> {
  const res = await fetch(`${url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `SageMaker.${operation}`,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${operation} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

interface LineagePage {
  Vertices: { Arn: string }[];
  Edges: unknown[];
  NextToken?: string;
}

/**
 * QueryLineage, depth 10, from the same start vertices as the REST queries. A page holds at
 * most 50 vertices (AWS's maximum), so one figure is the first page (what a UI shows first, with
 * every edge) and one the whole answer, page after page, as the SDK paginator would fetch it.
 */
async function sageMakerQueries(url: string, versions: string[]): Promise<string[]> {
  const rows: string[] = [];
  // The same warm-up as the REST queries get (JIT, prepared statements), not measured.
  for (let q = 0; q < 20; q++) {
    await sageMaker(url, 'QueryLineage', {
      StartArns: [formatArn('artifact', versions[q * 13] ?? '')],
      Direction: 'Both',
      MaxDepth: 10,
    });
  }
  for (const direction of ['Ascendants', 'Descendants'] as const) {
    const first: number[] = [];
    const whole: number[] = [];
    let vertices = 0;
    for (let q = 0; q < 100; q++) {
      const pick =
        direction === 'Ascendants' ? versions[versions.length - 1 - q] : versions[WINDOW + q * 7];
      const input = {
        StartArns: [formatArn('artifact', pick ?? '')],
        Direction: direction,
        MaxDepth: 10,
        MaxResults: 50,
      };
      const t = process.hrtime.bigint();
      let page = await sageMaker<LineagePage>(url, 'QueryLineage', input);
      first.push(Number(process.hrtime.bigint() - t) / 1e6);
      vertices += page.Vertices.length;
      while (page.NextToken) {
        page = await sageMaker<LineagePage>(url, 'QueryLineage', {
          ...input,
          NextToken: page.NextToken,
        });
        vertices += page.Vertices.length;
      }
      whole.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    for (const [what, times] of [
      ['first page', first],
      ['all pages', whole],
    ] as const) {
      times.sort((a, b) => a - b);
      const p99 = percentile(times, 99);
      rows.push(
        `| SageMaker QueryLineage depth-10 ${direction}, ${what} | ${percentile(times, 50).toFixed(1)} | ${p99.toFixed(1)} | ${what === 'first page' ? '≤ 50' : (vertices / 100).toFixed(0)} | ${what === 'first page' ? `p99 ≤ 50 ms ${p99 <= 50 ? '✓' : '✗'}` : 'info'} |`,
      );
    }
  }
  return rows;
}

/** ListArtifacts over every version of the graph, 100 a page, checking nothing repeats. */
async function listEverything(url: string, expected: number): Promise<string> {
  const times: number[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  const started = process.hrtime.bigint();
  do {
    const t = process.hrtime.bigint();
    const page = await sageMaker<{
      ArtifactSummaries: { ArtifactArn: string }[];
      NextToken?: string;
    }>(url, 'ListArtifacts', { MaxResults: 100, ...(token ? { NextToken: token } : {}) });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    for (const a of page.ArtifactSummaries) seen.add(a.ArtifactArn);
    token = page.NextToken;
  } while (token);
  const total = Number(process.hrtime.bigint() - started) / 1e9;
  if (seen.size !== expected) throw new Error(`ListArtifacts saw ${seen.size} of ${expected}`);
  const pages = times.length;
  times.sort((a, b) => a - b);
  return [
    '| ListArtifacts over the graph, 100 a page | pages | median ms/page | p99 ms/page | total s |',
    '| --- | --- | --- | --- | --- |',
    `| ${expected} artifacts (versions), each once, newest first | ${pages} | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 99).toFixed(1)} | ${total.toFixed(1)} |`,
  ].join('\n');
}
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

try {
  // Let the server create the schema, then fill it directly: building 100k versions through
  // the API would measure uploads, not lineage.
  await (await startServerProcess(dataDir)).stop();
  const db = new Database(join(dataDir, 'cairn.db'));
  const at = new Date().toISOString();
  const built = Date.now();
  db.exec('begin');
  db.prepare("insert into entities (name, created_at) values ('bench', ?)").run(at);
  db.prepare("insert into projects (entity_id, path, created_at) values (1, 'lineage', ?)").run(at);
  db.prepare(
    "insert into collections (project_id, name, type, description, created_at, updated_at) values (1, 'data', 'dataset', null, ?, ?)",
  ).run(at, at);
  const insertVersion = db.prepare(
    "insert into versions (id, collection_id, idx, digest, state, description, metadata, size, file_count, commit_hash, created_at, updated_at) values (?, 1, ?, ?, 'COMMITTED', null, '{}', 0, 0, 'bench', ?, ?)",
  );
  const insertRun = db.prepare(
    "insert into runs (id, entity, project, name, job_type, config, state, exit_code, step, heartbeat_at, created_at, finished_at) values (?, 'bench', 'lineage', ?, 'train', '{}', 'finished', 0, 0, ?, ?, ?)",
  );
  const insertEdge = db.prepare(
    'insert or ignore into associations (source_arn, dest_arn, type, created_at) values (?, ?, ?, ?)',
  );
  const versions: string[] = [];
  let edges = 0;
  // A few seed versions so the first runs have inputs.
  for (let i = 0; i < WINDOW; i++) {
    const id = hex();
    insertVersion.run(id, versions.length, hex(), at, at);
    versions.push(id);
  }
  for (let r = 0; r < RUNS; r++) {
    const run = hex();
    insertRun.run(run, `run-${r}`, at, at, at);
    const runArn = formatArn('action', run);
    const inputs = new Set<number>();
    while (inputs.size < IN_PER_RUN) inputs.add(Math.floor(Math.random() * WINDOW));
    for (const back of inputs) {
      const v = versions[versions.length - 1 - back] ?? '';
      edges += insertEdge.run(formatArn('artifact', v), runArn, 'ContributedTo', at).changes;
    }
    for (let k = 0; k < OUT_PER_RUN; k++) {
      const id = hex();
      insertVersion.run(id, versions.length, hex(), at, at);
      versions.push(id);
      edges += insertEdge.run(runArn, formatArn('artifact', id), 'Produced', at).changes;
    }
  }
  db.exec('commit');
  db.close();
  const buildSeconds = (Date.now() - built) / 1000;

  const server = await startServerProcess(dataDir);
  try {
    const api = `${server.url}/api/v1`;
    const rows: string[] = [];
    // Warm the server (JIT, SQLite page cache) as a long-running server is; not measured.
    for (let q = 0; q < 20; q++) {
      await (await fetch(`${api}/lineage?ref=${versions[q * 11]}&direction=both&depth=10`)).text();
    }
    for (const direction of ['upstream', 'downstream'] as const) {
      const times: number[] = [];
      let nodes = 0;
      for (let q = 0; q < 100; q++) {
        // Upstream from the newest versions (leaves), downstream from early ones.
        const pick =
          direction === 'upstream' ? versions[versions.length - 1 - q] : versions[WINDOW + q * 7];
        const t = process.hrtime.bigint();
        const res = await fetch(`${api}/lineage?ref=${pick}&direction=${direction}&depth=10`);
        const body = (await res.json()) as { nodes?: unknown[] };
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (res.status !== 200) throw new Error(`lineage answered ${res.status}`);
        nodes += body.nodes?.length ?? 0;
      }
      times.sort((a, b) => a - b);
      const p99 = percentile(times, 99);
      rows.push(
        `| depth-10 ${direction} | ${percentile(times, 50).toFixed(1)} | ${p99.toFixed(1)} | ${(nodes / 100).toFixed(0)} | p99 ≤ 50 ms ${p99 <= 50 ? '✓' : '✗'} |`,
      );
    }
    rows.push(...(await sageMakerQueries(server.url, versions)));
    const listing = await listEverything(server.url, versions.length);
    console.log(`load average (1 min) after the queries: ${loadavg()[0]?.toFixed(1)}`);
    console.log(
      `lineage graph: ${versions.length} versions, ${RUNS} runs, ${edges} edges (built in ${buildSeconds.toFixed(1)} s)`,
    );
    console.log('| query (100 each) | median ms | p99 ms | nodes returned (mean) | target |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const r of rows) console.log(r);
    console.log('');
    console.log(listing);
  } finally {
    await server.stop();
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
