#!/usr/bin/env node
// Finds every *.test.ts under packages/*/test and bench/, and runs them with Node's test runner
// through tsx. Extra arguments narrow the set: `npm run test:only -- sdk` runs files whose path
// contains "sdk".
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

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

// Pass 1: everything on the embedded default (SQLite). Pass 2, when CAIRN_TEST_POSTGRES_URL
// names a PostgreSQL server (.ci/run starts one): the server suite again on PostgreSQL.
const postgres = process.env.CAIRN_TEST_POSTGRES_URL;
const sqliteEnv = { ...process.env };
delete sqliteEnv.CAIRN_TEST_POSTGRES_URL;
// Tests that should run only once (the GC soak) run in the PostgreSQL pass when one follows.
if (postgres) sqliteEnv.CAIRN_TEST_POSTGRES_PASS_FOLLOWS = '1';
let status = run(files, sqliteEnv);
const serverFiles = files.filter((f) => f.startsWith('packages/server/'));
if (status === 0 && postgres && serverFiles.length > 0) {
  console.log('\n# the server suite again, on PostgreSQL\n');
  status = run(serverFiles, process.env);
}
process.exit(status);
