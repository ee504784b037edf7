#!/usr/bin/env node
// A throwaway S3-protocol server on loopback for the test suite and the benchmark: s3rver (an
// npm devDependency of @cairn/server) over a temp directory, with the buckets named on the
// command line. Prints `s3 listening on http://127.0.0.1:PORT` once it serves; removes its
// directory on SIGTERM or SIGINT. Credentials are s3rver's: S3RVER / S3RVER.
//
//   node scripts/s3rver.mjs [--port N] BUCKET...
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

const args = process.argv.slice(2);
let port = 0;
const buckets = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--port') port = Number(args[++i]);
  else buckets.push(args[i]);
}
const directory = mkdtempSync(join(tmpdir(), 'cairn-s3rver-'));
const server = new S3rver({
  address: '127.0.0.1',
  port,
  directory,
  silent: true,
  configureBuckets: buckets.map((name) => ({ name })),
});
guardDirectoryRace(server.store);
const address = await server.run();
// Requests counted at the store itself: the server's and the clients' (presigned) alike.
let requests = 0;
server.httpServer.on('request', () => requests++);
process.stdout.write(`s3 listening on http://127.0.0.1:${address.port}\n`);
process.on('message', (m) => {
  if (m === 'count') process.send?.({ requests });
});
const stop = () => {
  server.close().finally(() => {
    rmSync(directory, { recursive: true, force: true });
    process.exit(0);
  });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

// s3rver's filesystem store races with itself: a delete removes the key's parent directories
// once they look empty, and a put does `mkdirp` and only later opens its file there. A put that
// lands between the two hits ENOENT on a write stream with no error handler, which kills the
// whole process (seen in the GC soak, where deletes and puts interleave for a minute). Writes
// may run together; a delete waits for them and runs alone.
function guardDirectoryRace(store) {
  let writers = 0;
  let deleting = Promise.resolve();
  let idle = Promise.resolve();
  let markIdle = () => {};
  const shared = (fn) =>
    async function (...args) {
      await deleting;
      if (writers++ === 0) idle = new Promise((resolve) => (markIdle = resolve));
      try {
        return await fn.apply(this, args);
      } finally {
        if (--writers === 0) markIdle();
      }
    };
  const exclusive = (fn) =>
    async function (...args) {
      const previous = deleting;
      let release = () => {};
      deleting = new Promise((resolve) => (release = resolve));
      await previous;
      while (writers > 0) await idle;
      try {
        return await fn.apply(this, args);
      } finally {
        release();
      }
    };
  for (const name of ['putObject', 'copyObject', 'putPart', 'putObjectMultipart']) {
    if (typeof store[name] === 'function') store[name] = shared(store[name]);
  }
  store.deleteObject = exclusive(store.deleteObject);
}
