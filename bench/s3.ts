/**
 * `npm run bench` (fifth): the 10k-file and large-file logs and downloads on the multi-machine
 * setup — metadata in PostgreSQL, blobs in an S3-protocol server (s3rver on loopback), bytes
 * moved by the client through presigned URLs — beside the same on the embedded default (SQLite
 * and the data directory). Prints throughput and the object-store requests each logged version
 * cost, counted by the S3 server itself (the Cairn server's and the client's alike).
 *
 * PostgreSQL: CAIRN_BENCH_POSTGRES_URL or CAIRN_TEST_POSTGRES_URL (an admin URL; a database is
 * created and dropped), e.g. `CAIRN_BENCH_POSTGRES_URL=$(.ci/postgres.sh) npm run bench`;
 * without one the S3 rows run on SQLite and say so. Sizes: CAIRN_BENCH_FILES (default 10000) files
 * of 4 KiB, CAIRN_BENCH_S3_LARGE_MB (default CAIRN_BENCH_LARGE_MB, else 1024).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess, type ServerProcess } from './server-process.js';

const FILES = Number(process.env['CAIRN_BENCH_FILES'] ?? 10_000);
const LARGE_MB = Number(
  process.env['CAIRN_BENCH_S3_LARGE_MB'] ?? process.env['CAIRN_BENCH_LARGE_MB'] ?? 1024,
);
const repo = fileURLToPath(new URL('..', import.meta.url));
const work = await mkdtemp(join(process.env['CAIRN_BENCH_DIR'] ?? tmpdir(), 'cairn-bench-s3-'));
const BUCKET = 'cairn-bench';

interface OpResult {
  seconds: number;
  maxRssMb: number;
}

function clientOp(args: string[]): OpResult {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(repo, 'bench/client-op.ts'), ...args],
    { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as OpResult;
}

interface S3rver {
  url: string;
  requests(): Promise<number>;
  stop(): Promise<void>;
}

/** scripts/s3rver.mjs as a child process, its storage under the bench's work dir. */
async function startS3rver(): Promise<S3rver> {
  const child: ChildProcess = spawn(process.execPath, [join(repo, 'scripts/s3rver.mjs'), BUCKET], {
    env: { ...process.env, TMPDIR: work },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /s3 listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return {
    url,
    requests: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { requests: number }).requests));
        child.send('count');
      }),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

async function makeTree(dir: string): Promise<void> {
  for (let d = 0; d < Math.ceil(FILES / 1000); d++) {
    await mkdir(join(dir, `d${d}`), { recursive: true });
  }
  for (let i = 0; i < FILES; i++) {
    await writeFile(join(dir, `d${Math.floor(i / 1000)}`, `f${i}.bin`), randomBytes(4096));
  }
}

interface Row {
  setup: string;
  figure: string;
  seconds: number;
  mbPerS: number;
  requests: number | undefined;
}
const rows: Row[] = [];

async function measure(
  setup: string,
  server: ServerProcess,
  s3: S3rver | undefined,
  small: string,
  large: string,
): Promise<void> {
  const cache = join(work, `cache-${rows.length}`);
  const smallMb = (FILES * 4096) / 1e6;
  const largeMb = (LARGE_MB * 1024 * 1024) / 1e6;
  const ops: [string, string[], number][] = [
    [`log ${FILES} × 4 KiB`, ['log', server.url, cache, 'small', small], smallMb],
    [`log ${LARGE_MB} MiB file`, ['log', server.url, cache, 'large', large], largeMb],
    [
      `download ${FILES} × 4 KiB, cold cache`,
      [
        'get',
        server.url,
        join(work, `cold-s-${rows.length}`),
        'small:latest',
        join(work, `dl-s-${rows.length}`),
      ],
      smallMb,
    ],
    [
      `download ${LARGE_MB} MiB file, cold cache`,
      [
        'get',
        server.url,
        join(work, `cold-l-${rows.length}`),
        'large:latest',
        join(work, `dl-l-${rows.length}`),
      ],
      largeMb,
    ],
  ];
  for (const [figure, args, mb] of ops) {
    const before = s3 ? await s3.requests() : 0;
    const r = clientOp(args);
    const requests = s3 ? (await s3.requests()) - before : undefined;
    rows.push({ setup, figure, seconds: r.seconds, mbPerS: mb / r.seconds, requests });
    console.error(`bench s3: ${setup} ${figure}: ${r.seconds.toFixed(2)} s`);
  }
  for (const d of [cache, ...ops.slice(2).flatMap(([, a]) => [a[2] ?? '', a[4] ?? ''])]) {
    await rm(d, { recursive: true, force: true });
  }
}

async function postgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = process.env['CAIRN_BENCH_POSTGRES_URL'] || process.env['CAIRN_TEST_POSTGRES_URL'];
  if (!admin) return undefined;
  const { default: pg } = await import('pg');
  const name = `cairn_bench_${randomBytes(6).toString('hex')}`;
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(sql);
    await c.end();
  };
  await run(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

try {
  const small = join(work, 'small');
  const large = join(work, 'large.bin');
  console.error(`bench s3: ${FILES} × 4 KiB files and a ${LARGE_MB} MiB file under ${work}`);
  await makeTree(small);
  execFileSync('dd', [
    'if=/dev/urandom',
    `of=${large}`,
    'bs=1M',
    `count=${LARGE_MB}`,
    'status=none',
  ]);

  const embedded = await startServerProcess(join(work, 'embedded'));
  try {
    await measure('embedded (SQLite + data dir)', embedded, undefined, small, large);
  } finally {
    await embedded.stop();
  }

  const s3 = await startS3rver();
  const db = await postgresDatabase();
  const setup = `${db ? 'PostgreSQL' : 'SQLite'} + S3 (s3rver), direct`;
  try {
    const server = await startServerProcess(join(work, 'multi'), {
      ...(db ? { CAIRN_DATABASE_URL: db.url } : {}),
      CAIRN_BLOBS_URL: `s3://${BUCKET}/bench`,
      CAIRN_S3_ENDPOINT: s3.url,
      CAIRN_S3_FORCE_PATH_STYLE: '1',
      CAIRN_S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
    try {
      await measure(setup, server, s3, small, large);
    } finally {
      await server.stop();
    }
  } finally {
    await s3.stop();
    await db?.drop();
  }

  const table = [
    ['setup', 'figure', 'seconds', 'MB/s', 'object-store requests'],
    ...rows.map((r) => [
      r.setup,
      r.figure,
      r.seconds.toFixed(2),
      r.mbPerS.toFixed(1),
      r.requests === undefined ? '-' : String(r.requests),
    ]),
  ];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((l) => (l[i] ?? '').length))) ?? [];
  for (const line of table) {
    console.log(`| ${line.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`);
  }
  const smallLog = rows.find(
    (r) => r.requests !== undefined && r.figure.startsWith('log') && r.figure.includes('KiB'),
  );
  if (smallLog?.requests !== undefined) {
    console.log(
      `\nobject-store requests per logged version of ${FILES} files: ${smallLog.requests} (${(smallLog.requests / FILES).toFixed(4)} per file; target far below 1)`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
