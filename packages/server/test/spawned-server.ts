import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const serve = fileURLToPath(new URL('../src/serve.ts', import.meta.url));

/**
 * A server in a child process of its own (for tests that SIGKILL it), on an ephemeral port,
 * keeping its data in `dataDir`; `env` adds or overrides CAIRN_* settings.
 */
export async function spawnServer(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; api: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', serve], {
    env: { ...process.env, CAIRN_PORT: '0', CAIRN_DATA_DIR: dataDir, CAIRN_API_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
  });
  return { child, api: `${url}/api/v1` };
}

/** Resolves once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
  );
}
