/**
 * Lineage queries on large graphs (issue 3), through the REST API of a server in its own
 * process. Two graphs of 100,000 artifact versions and 20,000 runs, each run consuming 10
 * versions and producing 5 (300,000 edges):
 *  - pipeline: a run consumes versions logged shortly before it (what real pipelines look like);
 *  - random: a run consumes 10 versions drawn from all 100,000 and produces 5 others, so the
 *    graph has cycles and a depth-10 walk reaches most of it — the answer is capped by the
 *    node limit (default 1,000; also timed at 100 and at the maximum, 5,000) and says
 *    `truncated`.
 * Prints median and p99 of depth-10 queries, upstream and downstream, 100 each after 20
 * warm-up queries. On the pipeline graph, the same through the SageMaker face (QueryLineage,
 * issue 4), and ListArtifacts walking every version page by page (they are all SageMaker
 * artifacts). Sizes: CAIRN_BENCH_LINEAGE_RUNS (default 20000).
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
const QUERIES = 100;
const work = await mkdtemp(join(tmpdir(), 'cairn-bench-lineage-'));

type Shape = 'pipeline' | 'random';
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

/** Fills the server's database directly: building 100k versions through the API would time uploads. */
async function build(
  dataDir: string,
  shape: Shape,
): Promise<{ versions: string[]; edges: number }> {
  await (await startServerProcess(dataDir)).stop(); // the server creates the schema
  const db = new Database(join(dataDir, 'cairn.db'));
  const at = new Date().toISOString();
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
  const newVersion = () => {
    const id = hex();
    insertVersion.run(id, versions.length, hex(), at, at);
    versions.push(id);
    return id;
  };
  let edges = 0;
  const total = WINDOW + RUNS * OUT_PER_RUN;
  if (shape === 'random') while (versions.length < total) newVersion();
  else for (let i = 0; i < WINDOW; i++) newVersion();
  for (let r = 0; r < RUNS; r++) {
    const run = hex();
    insertRun.run(run, `run-${r}`, at, at, at);
    const runArn = formatArn('action', run);
    const inputs = new Set<string>();
    while (inputs.size < IN_PER_RUN) {
      const v =
        shape === 'random'
          ? versions[Math.floor(Math.random() * versions.length)]
          : versions[versions.length - 1 - Math.floor(Math.random() * WINDOW)];
      inputs.add(v ?? '');
    }
    for (const v of inputs) {
      edges += insertEdge.run(formatArn('artifact', v), runArn, 'ContributedTo', at).changes;
    }
    for (let k = 0; k < OUT_PER_RUN; k++) {
      const out = shape === 'random' ? versions[WINDOW + r * OUT_PER_RUN + k] : newVersion();
      edges += insertEdge.run(runArn, formatArn('artifact', out ?? ''), 'Produced', at).changes;
    }
  }
  db.exec('commit');
  db.close();
  return { versions, edges };
}

interface Figure {
  label: string;
  direction: 'upstream' | 'downstream';
  limit?: number;
}

async function measure(api: string, versions: string[], f: Figure): Promise<string> {
  const times: number[] = [];
  let nodes = 0;
  let truncated = 0;
  for (let q = 0; q < QUERIES; q++) {
    // Upstream from the newest versions (leaves of the pipeline), downstream from early ones.
    const pick =
      f.direction === 'upstream' ? versions[versions.length - 1 - q] : versions[WINDOW + q * 7];
    const limit = f.limit === undefined ? '' : `&limit=${f.limit}`;
    const t = process.hrtime.bigint();
    const res = await fetch(`${api}/lineage?ref=${pick}&direction=${f.direction}&depth=10${limit}`);
    const body = (await res.json()) as { nodes?: unknown[]; truncated?: boolean };
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (res.status !== 200) throw new Error(`lineage answered ${res.status}`);
    nodes += body.nodes?.length ?? 0;
    if (body.truncated) truncated++;
  }
  times.sort((a, b) => a - b);
  const p99 = percentile(times, 99);
  return `| ${f.label} | ${percentile(times, 50).toFixed(1)} | ${p99.toFixed(1)} | ${(nodes / QUERIES).toFixed(0)} | ${truncated} | p99 ≤ 50 ms ${p99 <= 50 ? '✓' : '✗'} |`;
}

async function bench(shape: Shape, figures: Figure[]): Promise<void> {
  const dataDir = join(work, shape);
  const built = Date.now();
  const { versions, edges } = await build(dataDir, shape);
  const buildSeconds = (Date.now() - built) / 1000;
  const server = await startServerProcess(dataDir);
  try {
    const api = `${server.url}/api/v1`;
    // Warm the server (JIT, SQLite page cache) as a long-running server is; not measured.
    for (let q = 0; q < 20; q++) {
      await (await fetch(`${api}/lineage?ref=${versions[q * 11]}&direction=both&depth=10`)).text();
    }
    const rows: string[] = [];
    for (const f of figures) rows.push(await measure(api, versions, f));
    const sageMakerRows = shape === 'pipeline' ? await sageMakerQueries(server.url, versions) : [];
    const listing = shape === 'pipeline' ? await listEverything(server.url, versions.length) : '';
    console.log(
      `\n${shape} lineage graph (load average ${loadavg()[0]?.toFixed(1)} while measured): ${versions.length} versions, ${RUNS} runs, ${edges} edges (built in ${buildSeconds.toFixed(1)} s); server peak RSS ${await server.peakRssMb()} MB`,
    );
    console.log(
      `| query (${QUERIES} each) | median ms | p99 ms | nodes returned (mean) | truncated | target |`,
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const r of rows) console.log(r);
    if (sageMakerRows.length > 0) {
      console.log('');
      console.log('| SageMaker query (100 each) | median ms | p99 ms | vertices (mean) | target |');
      console.log('| --- | --- | --- | --- | --- |');
      for (const r of sageMakerRows) console.log(r);
    }
    if (listing) console.log(`\n${listing}`);
  } finally {
    await server.stop();
  }
}

try {
  await bench('pipeline', [
    { label: 'pipeline, depth-10 upstream', direction: 'upstream' },
    { label: 'pipeline, depth-10 downstream', direction: 'downstream' },
  ]);
  await bench('random', [
    { label: 'random, depth-10 upstream, limit=100', direction: 'upstream', limit: 100 },
    { label: 'random, depth-10 downstream, limit=100', direction: 'downstream', limit: 100 },
    { label: 'random, depth-10 upstream, default limit (1,000)', direction: 'upstream' },
    { label: 'random, depth-10 downstream, default limit (1,000)', direction: 'downstream' },
    {
      label: 'random, depth-10 upstream, limit=5000 (the maximum)',
      direction: 'upstream',
      limit: 5000,
    },
    {
      label: 'random, depth-10 downstream, limit=5000 (the maximum)',
      direction: 'downstream',
      limit: 5000,
    },
  ]);
} finally {
  await rm(work, { recursive: true, force: true });
}
