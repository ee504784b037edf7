import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

/** A Cairn server in its own process, so its memory and CPU are measured apart from clients. */
export interface ServerProcess {
  url: string;
  pid: number;
  /** Peak resident memory of the server so far (VmHWM). */
  peakRssMb(): Promise<number>;
  stop(): Promise<void>;
}

export async function startServerProcess(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env['CAIRN_BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
      '--import',
      'tsx',
      join(repo, 'packages/server/src/serve.ts'),
    ],
    {
      env: { ...process.env, CAIRN_PORT: '0', CAIRN_DATA_DIR: dataDir, CAIRN_API_KEY: '', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const pid = child.pid ?? 0;
  return {
    url,
    pid,
    async peakRssMb() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb / 1024;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
