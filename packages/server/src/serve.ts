/**
 * Starts a server from CAIRN_* environment variables; used by tests and benchmarks that need the
 * server in its own process (to kill it, or to measure it). Users run `cairn server`.
 */
import { startServer } from './index.js';

const server = await startServer({
  host: process.env['CAIRN_HOST'] || '127.0.0.1',
  port: Number(process.env['CAIRN_PORT'] ?? 8080),
  dataDir: process.env['CAIRN_DATA_DIR'] || './cairn-data',
  logger: process.env['CAIRN_LOG'] === '1',
});
process.stdout.write(`listening on ${server.url}\n`);
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
