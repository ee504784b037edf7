/**
 * SageMaker face throughput and latency (issue 4): 16 concurrent clients signing every request
 * with SigV4, against the embedded default in its own process. Prints requests/s and p50/p99
 * for CreateArtifact, DescribeArtifact and QueryLineage beside the targets.
 * Duration per figure: CAIRN_BENCH_SM_SECONDS (default 5).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddAssociationCommand,
  CreateArtifactCommand,
  DescribeArtifactCommand,
  QueryLineageCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { FinalizeRequestMiddleware, MetadataBearer } from '@smithy/types';
import { Agent, request } from 'node:http';
import { startServerProcess } from './server-process.js';

const SECONDS = Number(process.env['CAIRN_BENCH_SM_SECONDS'] ?? 5);
const CLIENTS = 16;
const work = await mkdtemp(join(tmpdir(), 'cairn-bench-sm-'));

const server = await startServerProcess(join(work, 'data'), {
  CAIRN_ACCESS_KEYS: 'AKIDBENCH:bench-secret',
  // Throughput runs create far more artifacts than AWS's default quota allows.
  CAIRN_SAGEMAKER_LIMITS: '{"artifacts": 10000000, "associations": 10000000}',
});
const url = server.url;

const clients = Array.from(
  { length: CLIENTS },
  () =>
    new SageMakerClient({
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
      maxAttempts: 1,
    }),
);

/**
 * The server alone: one DescribeArtifact signed by the AWS SDK (a SigV4 signature stays valid
 * for 15 minutes) replayed on 16 keep-alive connections, so client-side signing and SDK
 * middleware do not share the two cores with the server being measured.
 */
async function replay(
  client: SageMakerClient,
  command: DescribeArtifactCommand,
): Promise<{ name: string; rps: number; p50: number; p99: number }> {
  let captured: { headers: Record<string, string>; body: string } | undefined;
  const capture: FinalizeRequestMiddleware<object, MetadataBearer> = (next) => async (args) => {
    const req = args.request as { headers: Record<string, string>; body?: string | Uint8Array };
    const body = req.body === undefined ? '' : Buffer.from(req.body).toString('utf8');
    captured = { headers: { ...req.headers }, body };
    return next(args);
  };
  client.middlewareStack.addRelativeTo(capture, {
    relation: 'after',
    toMiddleware: 'awsAuthMiddleware',
    name: 'benchCapture',
  });
  await client.send(command);
  client.middlewareStack.remove('benchCapture');
  const signed = captured;
  if (!signed) throw new Error('could not capture a signed request');
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: '/',
          method: 'POST',
          headers: signed.headers,
          agent,
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(signed.body);
    });
  const latencies: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        await once();
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    name: 'DescribeArtifact (pre-signed, replayed)',
    rps: latencies.length / SECONDS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function load(
  name: string,
  op: (client: SageMakerClient, i: number) => Promise<unknown>,
): Promise<{ name: string; rps: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  let n = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        await op(c, n++);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    name,
    rps: latencies.length / SECONDS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

try {
  const first = clients[0] as SageMakerClient;
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
  const replayed = await replay(first, new DescribeArtifactCommand({ ArtifactArn: arn }));
  const results = [
    await load('CreateArtifact', (c, i) =>
      c.send(
        new CreateArtifactCommand({
          Source: { SourceUri: `s3://bench/load/${i}-${Math.random()}` },
          ArtifactType: 'DataSet',
        }),
      ),
    ),
    await load('DescribeArtifact', (c) =>
      c.send(new DescribeArtifactCommand({ ArtifactArn: arn })),
    ),
    await load('QueryLineage (depth 10)', (c) =>
      c.send(
        new QueryLineageCommand({
          StartArns: [arn],
          Direction: 'Ascendants',
          MaxDepth: 10,
          IncludeEdges: true,
        }),
      ),
    ),
  ];
  results.push(replayed);
  console.log(
    `| SageMaker face, ${CLIENTS} signed clients | requests/s | p50 ms | p99 ms | target |`,
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of results) {
    const target = r.name.startsWith('DescribeArtifact')
      ? `≥ 3000/s, p99 ≤ 20 ms ${r.rps >= 3000 && r.p99 <= 20 ? '✓' : '✗'}`
      : 'info';
    console.log(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${target} |`,
    );
  }
} finally {
  for (const c of clients) c.destroy();
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
