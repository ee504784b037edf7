import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startServer, type RunningServer } from '@cairn/server';
import { runCli, type CliRun } from './run-cli.js';

/**
 * Bad input to the command: every case exits non-zero with one `error:` line that names the
 * problem, and never prints a stack trace (a line starting with "    at ").
 */

let server: RunningServer;
let work: string;
let closedPort: number;
const KEY = 'right-key';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-cli-bad-'));
  server = await startServer({ port: 0, dataDir: join(work, 'data'), apiKey: KEY });
  // A port that was just free and is now closed: nothing answers there.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  await mkdir(join(work, 'src'));
  await writeFile(join(work, 'src', 'a.txt'), 'alpha');
  await writeFile(join(work, 'a-file'), 'not a directory');
  const put = await cairn(
    'artifact',
    'put',
    join(work, 'src'),
    '--name',
    'alice/proj/data',
    '--type',
    'dataset',
  );
  assert.equal(put.code, 0, put.err);
});

after(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

function cairn(...args: string[]): Promise<CliRun> {
  return runCli(args, {
    CAIRN_URL: server.url,
    CAIRN_API_KEY: KEY,
    CAIRN_ENTITY: 'alice',
    CAIRN_CACHE_DIR: join(work, 'cache'),
  });
}

interface Case {
  args: () => string[];
  /** A pattern the error line must match: it names the problem. */
  names: RegExp;
}

const cases: Record<string, Case> = {
  'ref with too many parts': {
    args: () => ['artifact', 'get', 'a/b/c/d/e'],
    names: /ref|artifact/i,
  },
  'ref of punctuation': { args: () => ['artifact', 'get', ':::'], names: /ref|name|alias/i },
  'ref with a negative version': {
    args: () => ['artifact', 'get', 'alice/proj/data:v-1'],
    names: /v-1|alias|version/i,
  },
  'empty ref': { args: () => ['artifact', 'rm', ''], names: /ref|name|empty/i },
  'unknown version': {
    args: () => ['artifact', 'get', 'alice/proj/data:v99', '--root', join(work, 'out')],
    names: /v99|not found|no version/i,
  },
  'unknown artifact': {
    args: () => ['artifact', 'verify', 'alice/proj/nothing:v0'],
    names: /nothing|not found/i,
  },
  'missing ref': { args: () => ['artifact', 'get'], names: /missing required argument 'ref'/ },
  'missing put path': {
    args: () => ['artifact', 'put'],
    names: /missing required argument|required option/,
  },
  'missing --name': {
    args: () => ['artifact', 'put', join(work, 'src'), '--type', 'dataset'],
    names: /--name/,
  },
  'missing move target': { args: () => ['folder', 'mv', 'a'], names: /missing required argument/ },
  'unknown flag': {
    args: () => ['artifact', 'ls', 'proj', '--bogus'],
    names: /unknown option '--bogus'/,
  },
  'unknown command': { args: () => ['frobnicate'], names: /unknown command 'frobnicate'/ },
  'unreachable server': {
    args: () => ['artifact', 'ls', 'alice/proj', '--url', `http://127.0.0.1:${closedPort}`],
    names: /127\.0\.0\.1|reach|connect|refused/i,
  },
  'server URL that is not a URL': {
    args: () => ['artifact', 'ls', 'alice/proj', '--url', 'not a url'],
    names: /url/i,
  },
  'server URL of another scheme': {
    args: () => ['artifact', 'ls', 'alice/proj', '--url', 'ftp://127.0.0.1/'],
    names: /url|http|scheme|protocol/i,
  },
  'wrong API key': {
    args: () => ['artifact', 'ls', 'alice/proj', '--api-key', 'wrong-key'],
    names: /key|unauthori[sz]ed/i,
  },
  'put of a path that does not exist': {
    args: () => ['artifact', 'put', join(work, 'nope'), '--name', 'proj/x', '--type', 'dataset'],
    names: /nope|no such|does not exist/i,
  },
  'get into a root that is a file': {
    args: () => ['artifact', 'get', 'alice/proj/data:v0', '--root', join(work, 'a-file')],
    names: /a-file|not a directory|is a file/i,
  },
  'verify a root that is a file': {
    args: () => ['artifact', 'verify', 'alice/proj/data:v0', '--root', join(work, 'a-file')],
    names: /a-file|not a directory|is a file/i,
  },
  'verify a root that does not exist': {
    args: () => ['artifact', 'verify', 'alice/proj/data:v0', '--root', join(work, 'nope')],
    names: /nope|no such|does not exist|missing/i,
  },
  'metadata that is not JSON': {
    args: () => [
      'artifact',
      'put',
      join(work, 'src'),
      '--name',
      'proj/x',
      '--type',
      'd',
      '--metadata',
      '{',
    ],
    names: /metadata/i,
  },
  'metadata that is a list': {
    args: () => [
      'artifact',
      'put',
      join(work, 'src'),
      '--name',
      'proj/x',
      '--type',
      'd',
      '--metadata',
      '[1]',
    ],
    names: /metadata/i,
  },
  'bad artifact name': {
    args: () => ['artifact', 'put', join(work, 'src'), '--name', 'proj/a b', '--type', 'dataset'],
    names: /name/i,
  },
  'negative lineage depth': {
    args: () => ['lineage', 'alice/proj/data:v0', '--depth', '-1'],
    names: /depth/i,
  },
  'lineage depth not a number': {
    args: () => ['lineage', 'alice/proj/data:v0', '--depth', 'abc'],
    names: /depth/i,
  },
  'lineage direction unknown': {
    args: () => ['lineage', 'alice/proj/data:v0', '--direction', 'sideways'],
    names: /direction/i,
  },
  'gc grace not a number': { args: () => ['gc', '--grace', 'abc'], names: /grace/i },
  'gc grace negative': { args: () => ['gc', '--grace', '-5'], names: /grace/i },
  'gc grace huge': { args: () => ['gc', '--grace', '1e400'], names: /grace/i },
  'server port not a number': {
    args: () => ['server', '--port', 'abc', '--data', join(work, 'd2')],
    names: /port/i,
  },
  'server port out of range': {
    args: () => ['server', '--port', '99999', '--data', join(work, 'd3')],
    names: /port/i,
  },
  'server data dir that is a file': {
    args: () => ['server', '--port', '0', '--data', join(work, 'a-file')],
    names: /a-file already exists and is not a directory/,
  },
  'server port already in use': {
    args: () => ['server', '--port', new URL(server.url).port, '--data', join(work, 'd4')],
    names: /already in use/,
  },
  'folder path with ..': { args: () => ['folder', 'mk', 'alice/../x'], names: /\.\.|folder|path/i },
};

/** What is wrong with a run that should have failed cleanly, or undefined. */
function verdict(r: CliRun, names: RegExp): string | undefined {
  if (r.code === 0) return `exit code 0; stdout ${r.out.slice(0, 200)}`;
  if (r.err.includes('    at ')) return `stack trace printed:\n${r.err.slice(0, 600)}`;
  const lines = r.err.split('\n').filter((l) => l.startsWith('error:'));
  if (lines.length !== 1) return `${lines.length} error lines in:\n${r.err.slice(0, 600)}`;
  const line = lines[0] as string;
  if (!names.test(line)) return `error line does not name the problem (${String(names)}): ${line}`;
  if (/internal server error|\[object Object\]|undefined/i.test(line)) return `unclear: ${line}`;
  if (/\bE[A-Z]{3,}: /.test(line)) return `raw errno message: ${line}`;
  return undefined;
}

test('every bad invocation exits non-zero with one error line naming the problem, no stack', async () => {
  const failures: string[] = [];
  const entries = Object.entries(cases);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < entries.length) {
        const [label, c] = entries[next++] as [string, Case];
        const r = await cairn(...c.args());
        const v = verdict(r, c.names);
        if (v) failures.push(`${label}: ${v}`);
      }
    }),
  );
  assert.deepEqual(failures, [], failures.join('\n\n'));
});

test('--json failures print one error object on stdout, still no stack', async () => {
  const r = await cairn('artifact', 'get', 'alice/proj/data:v99', '--json');
  assert.notEqual(r.code, 0);
  assert.equal(r.err.includes('    at '), false, r.err);
  const e = r.json['error'] as { code: string; message: string };
  assert.equal(e.code, 'NOT_FOUND');
  assert.match(e.message, /v99|version/);
});
