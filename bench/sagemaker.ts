/**
 * SageMaker face throughput and latency (issue 4): 16 concurrent keep-alive connections, every
 * request freshly SigV4-signed by a small signer in its own process (bench/sigv4-load.ts) and
 * verified by the server (embedded default, its own process). Prints requests/s and p50/p99 for
 * CreateArtifact, DescribeArtifact and a depth-10 QueryLineage beside the targets, and, for
 * comparison, DescribeArtifact driven by 16 AWS SDK clients inside this process (the SDK's
 * middleware costs more CPU than the server's handling, on the same two cores).
 * Duration per figure: CAIRN_BENCH_SM_SECONDS (default 5).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  AddAssociationCommand,
  CreateArtifactCommand,
  DescribeArtifactCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { startServerProcess } from './server-process.js';

const SECONDS = Number(process.env['CAIRN_BENCH_SM_SECONDS'] ?? 5);
const CLIENTS = 16;
const KEY = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };
const work = await mkdtemp(join(tmpdir(), 'cairn-bench-sm-'));
const loadScript = fileURLToPath(new URL('./sigv4-load.ts', import.meta.url));

const server = await startServerProcess(join(work, 'data'), {
  CAIRN_ACCESS_KEYS: `${KEY.accessKeyId}:${KEY.secretAccessKey}`,
  // Throughput runs create far more artifacts than AWS's default quota allows.
  CAIRN_SAGEMAKER_LIMITS: '{"artifacts": 10000000, "associations": 10000000}',
});
const url = server.url;

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Server CPU time (user + system) per request: what the machine's load does not change. */
  cpuUs?: number;
}

/** CPU seconds the server process has used so far (/proc/<pid>/stat utime + stime). */
async function serverCpuSeconds(): Promise<number> {
  const stat = await readFile(`/proc/${server.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the file (utime, stime) are 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** One figure from the signer process: `body` may hold `{n}`, unique per request. */
async function signedLoad(name: string, operation: string, body: string): Promise<Row> {
  const spec = {
    url,
    accessKeyId: KEY.accessKeyId,
    secret: KEY.secretAccessKey,
    region: 'us-east-1',
    seconds: SECONDS,
    connections: CLIENTS,
    target: `SageMaker.${operation}`,
    body,
  };
  const cpuBefore = await serverCpuSeconds();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', loadScript, JSON.stringify(spec)],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const r = JSON.parse(stdout) as {
    requests: number;
    seconds: number;
    errors: number;
    latenciesMs: number[];
  };
  const cpu = (await serverCpuSeconds()) - cpuBefore;
  return {
    name,
    rps: r.requests / r.seconds,
    p50: percentile(r.latenciesMs, 50),
    p99: percentile(r.latenciesMs, 99),
    errors: r.errors,
    cpuUs: (cpu / r.requests) * 1e6,
  };
}

/** The same with AWS SDK clients in this process, for comparison. */
async function sdkLoad(
  name: string,
  op: (client: SageMakerClient) => Promise<unknown>,
): Promise<Row> {
  const clients = Array.from(
    { length: CLIENTS },
    () =>
      new SageMakerClient({ endpoint: url, region: 'us-east-1', credentials: KEY, maxAttempts: 1 }),
  );
  const latencies: number[] = [];
  const cpuBefore = await serverCpuSeconds();
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    clients.map(async (c) => {
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        await op(c);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  const cpu = (await serverCpuSeconds()) - cpuBefore;
  for (const c of clients) c.destroy();
  latencies.sort((a, b) => a - b);
  return {
    name,
    rps: latencies.length / SECONDS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: 0,
    cpuUs: (cpu / latencies.length) * 1e6,
  };
}

try {
  const first = new SageMakerClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: KEY,
    maxAttempts: 1,
  });
  const seed = await first.send(
    new CreateArtifactCommand({ Source: { SourceUri: 's3://bench/seed' }, ArtifactType: 'Model' }),
  );
  const arn = seed.ArtifactArn ?? '';
  // A small lineage graph: a chain of 20 datasets feeding the model.
  let prev = arn;
  for (let i = 0; i < 20; i++) {
    const a = await first.send(
      new CreateArtifactCommand({
        Source: { SourceUri: `s3://bench/chain/${i}` },
        ArtifactType: 'DataSet',
      }),
    );
    await first.send(
      new AddAssociationCommand({
        SourceArn: a.ArtifactArn,
        DestinationArn: prev,
        AssociationType: 'ContributedTo',
      }),
    );
    prev = a.ArtifactArn ?? '';
  }
  first.destroy();
  const describe = JSON.stringify({ ArtifactArn: arn });
  const loadBefore = loadavg()[0] ?? 0;
  const results = [
    // Warm-up (JIT, page cache), not reported.
    await signedLoad('warm-up', 'DescribeArtifact', describe),
    await signedLoad(
      'CreateArtifact',
      'CreateArtifact',
      JSON.stringify({ Source: { SourceUri: 's3://bench/load/{n}' }, ArtifactType: 'DataSet' }),
    ),
    await signedLoad('DescribeArtifact', 'DescribeArtifact', describe),
    await signedLoad(
      'QueryLineage (depth 10, 21 vertices)',
      'QueryLineage',
      JSON.stringify({ StartArns: [prev], Direction: 'Descendants', MaxDepth: 10 }),
    ),
    await sdkLoad('DescribeArtifact, 16 AWS SDK clients in the bench process', (c) =>
      c.send(new DescribeArtifactCommand({ ArtifactArn: arn })),
    ),
  ].slice(1);
  // Other processes on the machine move p99 more than anything measured here: say how busy it was.
  console.log(
    `load average (1 min) before / after: ${loadBefore.toFixed(1)} / ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log(
    `| SageMaker face, ${CLIENTS} connections, every request signed and verified | requests/s | p50 ms | p99 ms | errors | server CPU µs/request | target |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const target =
      r.name === 'DescribeArtifact'
        ? `≥ 3000/s, p99 ≤ 20 ms ${r.rps >= 3000 && r.p99 <= 20 ? '✓' : '✗'}`
        : 'info';
    console.log(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} | ${r.cpuUs === undefined ? '-' : r.cpuUs.toFixed(0)} | ${target} |`,
    );
  }
} finally {
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
