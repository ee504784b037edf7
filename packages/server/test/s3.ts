import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Location } from '../src/store/blob/s3-location.js';

/** The bucket every test uses; each store or server gets a fresh key prefix inside it. */
export const TEST_BUCKET = 'cairn-test';

interface S3rverLike {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer: {
    on(
      event: 'request',
      fn: (req: { method?: string; url?: string; headers: Record<string, unknown> }) => void,
    ): void;
  };
}

/** One request the store received: who sent it tells presigned client traffic from the server's. */
export interface S3Request {
  method: string;
  path: string;
  /** True for the AWS SDK (the Cairn server); false for a presigned URL used by a client. */
  fromSdk: boolean;
  /** A CopyObject (a PUT naming its source; no bytes in the request). */
  copy: boolean;
}

export interface TestS3 {
  endpoint: string;
  /** A location under a fresh prefix of the test bucket. */
  location(direct?: boolean): S3Location;
  /** Requests received so far (only for an s3rver of this process's own; else empty). */
  requests: S3Request[];
  close(): Promise<void>;
}

function useS3rverCredentials(): void {
  // s3rver's fixed keys; the SDK's default chain reads them from the environment.
  process.env['AWS_ACCESS_KEY_ID'] = 'S3RVER';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'S3RVER';
  delete process.env['AWS_SESSION_TOKEN'];
  delete process.env['AWS_PROFILE'];
}

function locationOf(endpoint: string, direct: boolean): S3Location {
  return {
    bucket: TEST_BUCKET,
    prefix: `t${randomBytes(6).toString('hex')}`,
    region: 'us-east-1',
    endpoint,
    publicEndpoint: undefined,
    forcePathStyle: true,
    direct,
  };
}

/**
 * The S3 server of the run (CAIRN_TEST_S3_URL, started by scripts/run-tests.mjs) or, without
 * one (or with `own`), an s3rver of this test file's own on an ephemeral loopback port.
 */
export async function testS3(own = false): Promise<TestS3> {
  useS3rverCredentials();
  const shared = process.env['CAIRN_TEST_S3_URL'];
  if (shared && !own) {
    return {
      endpoint: shared,
      location: (d = true) => locationOf(shared, d),
      requests: [],
      close: async () => {},
    };
  }
  const require = createRequire(import.meta.url);
  const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverLike;
  const directory = await mkdtemp(join(tmpdir(), 'cairn-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: TEST_BUCKET }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const requests: S3Request[] = [];
  server.httpServer.on('request', (req) => {
    requests.push({
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0] ?? '',
      fromSdk: /aws-sdk/i.test(String(req.headers['user-agent'] ?? '')),
      copy: req.headers['x-amz-copy-source'] !== undefined,
    });
  });
  return {
    endpoint,
    location: (d = true) => locationOf(endpoint, d),
    requests,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
