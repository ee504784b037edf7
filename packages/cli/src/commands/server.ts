import { startServer } from '@cairn/server';
import { CairnError } from '@cairn/core';
import type { Command } from 'commander';
import { action } from '../output.js';

interface ServerFlags {
  host?: string;
  port?: string;
  data?: string;
  database?: string;
  blobs?: string;
  apiKey?: string;
  log?: boolean;
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
    .option('--blobs <url>', 'blob store URL (default: the data directory)')
    .option('--api-key <key>', 'require this bearer token (or set CAIRN_API_KEY)')
    .option('--log', 'log every request')
    .action(
      action(async (flags: ServerFlags) => {
        if (flags.blobs) {
          throw new CairnError(
            'VALIDATION',
            '--blobs is not available yet: blobs live in the data directory (S3 support is planned)',
          );
        }
        const port = Number(flags.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new CairnError(
            'VALIDATION',
            `--port must be an integer from 0 to 65535, got ${flags.port}`,
          );
        }
        const server = await startServer({
          host: flags.host,
          port,
          dataDir: flags.data,
          ...(flags.database ? { databaseUrl: flags.database } : {}),
          ...(flags.apiKey ? { apiKey: flags.apiKey } : {}),
          logger: flags.log === true,
        });
        process.stdout.write(`cairn server listening on ${server.url} (data in ${flags.data})\n`);
        const stop = () => {
          void server.close().then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }),
    );
}
