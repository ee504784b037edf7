// Runs s3rver on an ephemeral loopback port and prints {"port": N} once it listens. Started by
// the tests with --openssl-legacy-provider: s3rver 3.7 encrypts continuation tokens with DES,
// which OpenSSL 3 only offers through its legacy provider.
import S3rver from 's3rver';

const [directory, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
