#!/usr/bin/env node
// Finds every *.test.ts under packages/*/test and bench/, and runs them with Node's test runner
// through tsx. Extra arguments narrow the set: `npm run test:only -- sdk` runs files whose path
// contains "sdk".
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const files = walk(join(root, 'packages'), [])
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
function run(list, env) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...list],
    { cwd: root, stdio: 'inherit', env },
  );
  return result.status ?? 1;
}

/** Starts scripts/s3rver.mjs with the test bucket; resolves to its URL and a stop function. */
function startS3() {
  const child = spawn(process.execPath, [join(root, 'scripts/s3rver.mjs'), 'cairn-test'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b) => {
      out += b.toString();
      const m = /s3 listening on (\S+)/.exec(out);
      if (m) resolve({ url: m[1], stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited early (${code})`)));
  });
}

// Pass 1: everything on the embedded default (SQLite, blobs in the data directory). Pass 2: the
// integration suites again (server, SDK, CLI end to end; every file that starts a server) on the
// multi-machine setup: blobs on S3 with direct transfers (an s3rver this script starts on
// loopback; CAIRN_TEST_S3=0 skips it) and, when CAIRN_TEST_POSTGRES_URL names a PostgreSQL
// server (.ci/run starts one), metadata in PostgreSQL. Their helpers (packages/server/test/
// backends.ts) read these variables and give each server its own database and bucket prefix.
const postgres = process.env.CAIRN_TEST_POSTGRES_URL;
const withS3 = process.env.CAIRN_TEST_S3 !== '0';
const sqliteEnv = { ...process.env };
delete sqliteEnv.CAIRN_TEST_POSTGRES_URL;
delete sqliteEnv.CAIRN_TEST_S3_URL;
// Tests that should run only once (the GC soak) run in the second pass when one follows.
if (postgres || withS3) sqliteEnv.CAIRN_TEST_POSTGRES_PASS_FOLLOWS = '1';
let status = run(files, sqliteEnv);
// core is pure (no backend), and sdk's unit files (hashing, caches, paths) start no server.
const noServer = new Set([
  'packages/sdk/test/local.test.ts',
  'packages/sdk/test/references.test.ts',
]);
const serverFiles = files.filter(
  (f) => /^packages\/(server|sdk|cli)\//.test(f) && !noServer.has(f),
);
if (status === 0 && (postgres || withS3) && serverFiles.length > 0) {
  const s3 = withS3 ? await startS3() : undefined;
  const names = [postgres ? 'PostgreSQL' : 'SQLite', s3 ? 'S3 (s3rver)' : 'local blobs'];
  console.log(`\n# the integration suites again, on ${names.join(' + ')}\n`);
  try {
    status = run(serverFiles, {
      ...(postgres ? process.env : sqliteEnv),
      ...(s3 ? { CAIRN_TEST_S3_URL: s3.url } : {}),
    });
  } finally {
    s3?.stop();
  }
}
process.exit(status);
