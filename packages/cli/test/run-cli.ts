import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/cairn.js', import.meta.url));

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
  /** The last stdout line parsed as JSON (what `--json` prints), or {} for human output. */
  json: Record<string, unknown>;
}

/**
 * Runs the `cairn` command as a user would. Asynchronous on purpose: the tests' server runs in
 * the test process, and spawnSync would block the server the CLI talks to.
 */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  } catch {
    // human output
  }
  return { code, out, err, json };
}
