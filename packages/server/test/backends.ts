import { randomBytes } from 'node:crypto';
import { startServer, type RunningServer, type ServerOptions } from '@cairn/server';
import type { S3Location } from '../src/store/blob/s3-location.js';
import { testS3 } from './s3.js';

/**
 * The backends of the run, picked from the environment so that every suite (server, SDK, CLI)
 * runs unchanged on both: scripts/run-tests.mjs sets CAIRN_TEST_POSTGRES_URL (an admin URL of
 * a PostgreSQL server) and CAIRN_TEST_S3_URL (an s3rver) for its second pass. Each server gets
 * its own database and its own prefix of the test bucket, so tests never see each other's rows
 * or objects.
 */
export interface TestBackends {
  /** Server options naming the database and blob store; empty on the embedded default. */
  options: ServerOptions;
  /** The bucket location when blobs live on S3, else undefined. */
  s3: S3Location | undefined;
  /** Drops the database (the bucket prefix is left to the s3rver's temp directory). */
  drop(): Promise<void>;
}

/** True when the run keeps blobs on S3 (a test about the data directory's objects skips then). */
export function blobsOnS3(): boolean {
  return Boolean(process.env['CAIRN_TEST_S3_URL']);
}

/** Options that point a server at an S3 location. */
export function s3ServerOptions(loc: S3Location): ServerOptions {
  return {
    blobsUrl: `s3://${loc.bucket}/${loc.prefix}`,
    ...(loc.endpoint ? { s3Endpoint: loc.endpoint } : {}),
    s3ForcePathStyle: loc.forcePathStyle,
    s3Region: loc.region,
    s3Direct: loc.direct,
  };
}

/**
 * A fresh prefix of the test bucket, with direct transfers on (what SDK clients of an S3-backed
 * server use) unless CAIRN_TEST_S3_DIRECT=0.
 */
async function freshS3(): Promise<S3Location | undefined> {
  if (!blobsOnS3()) return undefined;
  return (await testS3()).location(process.env['CAIRN_TEST_S3_DIRECT'] !== '0');
}

/**
 * A fresh, empty PostgreSQL database, and how to drop it. `collation` (an ICU locale such as
 * en-US) creates it with that default collation instead of the cluster's (C.UTF-8 for
 * .ci/postgres.sh), as production clusters initialised under a user's locale have.
 */
export async function freshPostgres(
  opts: { collation?: string } = {},
): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = process.env['CAIRN_TEST_POSTGRES_URL'];
  if (!admin) return undefined;
  const { default: pg } = await import('pg');
  const name = `cairn_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  const locale = opts.collation
    ? ` template template0 locale_provider icu icu_locale '${opts.collation.replace(/'/g, '')}'`
    : '';
  await client.query(`create database ${name}${locale}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/**
 * Backends for one server: a fresh database unless `options` names one, a fresh bucket prefix
 * unless `options` names a blob store (or `onS3` gives one).
 */
export async function testBackends(
  options: ServerOptions = {},
  onS3?: S3Location,
): Promise<TestBackends> {
  // A locale-aware collation, as production clusters usually have: ordering that silently
  // follows the locale instead of code points fails here rather than in production.
  const database =
    options.databaseUrl === undefined ? await freshPostgres({ collation: 'en-US' }) : undefined;
  const s3 = onS3 ?? (options.blobsUrl === undefined ? await freshS3() : undefined);
  return {
    options: {
      ...(database ? { databaseUrl: database.url } : {}),
      ...(s3 ? s3ServerOptions(s3) : {}),
    },
    s3,
    drop: async () => database?.drop(),
  };
}

/**
 * `startServer` on the run's backends: what the SDK and CLI suites start their servers with.
 * Closing the server drops its database.
 */
export async function startTestServer(options: ServerOptions = {}): Promise<RunningServer> {
  const backends = await testBackends(options);
  let server: RunningServer;
  try {
    server = await startServer({ ...backends.options, ...options });
  } catch (err) {
    await backends.drop();
    throw err;
  }
  return {
    url: server.url,
    async close() {
      await server.close();
      await backends.drop();
    },
  };
}
