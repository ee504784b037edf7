import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Reads a downloaded file as text. */
export function text(root: string, path: string): Promise<string> {
  return readFile(join(root, ...path.split('/')), 'utf8');
}

export interface ChildServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a server process and waits for the first stdout line that `parse` turns into its URL
 * (within 30 s). `stop()` sends SIGTERM to that process only and waits for it to exit.
 */
export async function startChild(
  args: string[],
  parse: (line: string) => string | undefined,
): Promise<ChildServer> {
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 30 s: ${stderr}`)), 30_000);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const u = parse(line);
      if (u !== undefined) {
        clearTimeout(timer);
        resolve(u);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening: ${stderr}`));
    });
  });
  child.stdout?.resume();
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
