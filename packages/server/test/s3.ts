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
}

export interface TestS3 {
  endpoint: string;
  /** A location under a fresh prefix of the test bucket. */
  location(direct?: boolean): S3Location;
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
 * one, an s3rver of this test file's own on an ephemeral loopback port.
 */
export async function testS3(): Promise<TestS3> {
  useS3rverCredentials();
  const shared = process.env['CAIRN_TEST_S3_URL'];
  if (shared) {
    return {
      endpoint: shared,
      location: (d = true) => locationOf(shared, d),
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
  return {
    endpoint,
    location: (d = true) => locationOf(endpoint, d),
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
