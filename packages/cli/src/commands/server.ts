import { CairnError } from '@cairn/core';
import type { Command } from 'commander';
import { action } from '../output.js';

interface ServerFlags {
  host?: string;
  port?: string;
  data?: string;
  database?: string;
  blobs?: string;
  s3Endpoint?: string;
  s3PublicEndpoint?: string;
  s3Region?: string;
  s3ForcePathStyle?: boolean;
  s3Direct?: boolean;
  apiKey?: string;
  log?: boolean;
  ui?: boolean;
}

export function serverCommand(program: Command): void {
  program
    .command('server')
    .description('run the Cairn server (SQLite + local blobs under ./cairn-data by default)')
    .option(
      '--host <host>',
      'address to bind (non-loopback needs an API key)',
      process.env['CAIRN_HOST'] ?? '127.0.0.1',
    )
    .option('--port <port>', 'port to listen on', process.env['CAIRN_PORT'] ?? '8080')
    .option('--data <dir>', 'data directory', process.env['CAIRN_DATA_DIR'] ?? './cairn-data')
    .option(
      '--database <url>',
      'metadata in PostgreSQL (postgres://…; or CAIRN_DATABASE_URL); default SQLite in the data directory',
    )
    .option(
      '--blobs <url>',
      'blobs in S3-compatible storage: s3://BUCKET[/PREFIX] (or CAIRN_BLOBS_URL); default the data directory',
    )
    .option('--s3-endpoint <url>', 'S3 endpoint for MinIO, R2, … (or CAIRN_S3_ENDPOINT)')
    .option(
      '--s3-public-endpoint <url>',
      'endpoint clients reach the bucket at, for presigned URLs (or CAIRN_S3_PUBLIC_ENDPOINT)',
    )
    .option('--s3-region <region>', 'S3 region (or CAIRN_S3_REGION, AWS_REGION; default us-east-1)')
    .option(
      '--s3-force-path-style',
      'address the bucket as ENDPOINT/BUCKET (MinIO; or CAIRN_S3_FORCE_PATH_STYLE=1)',
    )
    .option(
      '--no-s3-direct',
      'bytes go through the server instead of presigned URLs (or CAIRN_S3_DIRECT=0)',
    )
    .option('--api-key <key>', 'require this bearer token (or set CAIRN_API_KEY)')
    .option('--log', 'log every request')
    .option('--no-ui', 'do not serve the web UI at /')
    .action(
      action(async (flags: ServerFlags) => {
        const port = Number(flags.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new CairnError(
            'VALIDATION',
            `--port must be an integer from 0 to 65535, got ${flags.port}`,
          );
        }
        // The server and the UI's bundler load here, not at the top: importing the server
        // (Fastify, Kysely, SQLite, the S3 client) costs about 2 s that no other command needs.
        const { startServer } = await import('@cairn/server');
        const uiDir =
          flags.ui === false ? undefined : await (await import('@cairn/web')).builtUiDir();
        const server = await startServer({
          host: flags.host,
          port,
          dataDir: flags.data,
          ...(flags.database ? { databaseUrl: flags.database } : {}),
          ...(flags.blobs ? { blobsUrl: flags.blobs } : {}),
          ...(flags.s3Endpoint ? { s3Endpoint: flags.s3Endpoint } : {}),
          ...(flags.s3PublicEndpoint ? { s3PublicEndpoint: flags.s3PublicEndpoint } : {}),
          ...(flags.s3Region ? { s3Region: flags.s3Region } : {}),
          ...(flags.s3ForcePathStyle ? { s3ForcePathStyle: true } : {}),
          // Commander's --no-s3-direct sets false; leave the default (or CAIRN_S3_DIRECT) otherwise.
          ...(flags.s3Direct === false ? { s3Direct: false } : {}),
          ...(flags.apiKey ? { apiKey: flags.apiKey } : {}),
          logger: flags.log === true,
          ...(uiDir ? { uiDir } : {}),
        });
        const blobs = flags.blobs ?? process.env['CAIRN_BLOBS_URL'];
        process.stdout.write(
          `cairn server listening on ${server.url} (data in ${flags.data}${blobs ? `, blobs in ${blobs}` : ''})\n`,
        );
        if (uiDir) process.stdout.write(`web UI at ${server.url}/\n`);
        const stop = () => {
          void server.close().then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }),
    );
}
