import { CairnError } from '@cairn/core';

/**
 * Everything the CLI prints goes through here: `--json` prints exactly one JSON object on stdout
 * (results or `{ "error": … }`), otherwise short human lines. Errors never print a stack trace.
 */
export interface OutputOptions {
  json?: boolean;
}

/** `1 version`, `3 versions`. */
export function versionCount(n: number): string {
  return `${n} ${n === 1 ? 'version' : 'versions'}`;
}

export function printResult(opts: OutputOptions, value: object, human: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(value)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/** What a file-system errno means for the path it names, in words a user can act on. */
const FS_ERRORS: Record<string, string> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'is not a directory (a file is in the way)',
  EEXIST: 'already exists and is not a directory',
  EISDIR: 'is a directory, not a file',
  EACCES: 'is not accessible: permission denied',
  EPERM: 'is not accessible: operation not permitted',
  EROFS: 'is on a read-only file system',
  ENOSPC: 'cannot be written: no space left on the device',
  EADDRINUSE: 'is already in use',
};

/**
 * Node's file-system and socket errors read "EEXIST: file already exists, mkdir '/x'": turned
 * into "/x already exists and is not a directory" so the line names the path and the problem.
 */
function fromSystemError(err: Error): CairnError | undefined {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (typeof e.code !== 'string' || !(e.code in FS_ERRORS)) return undefined;
  const what =
    e.path ?? (e.address !== undefined ? `${e.address}${e.port ? `:${e.port}` : ''}` : undefined);
  if (what === undefined) return undefined;
  return new CairnError('VALIDATION', `${what} ${FS_ERRORS[e.code] ?? ''}`, { errno: e.code });
}

export function printError(opts: OutputOptions, err: unknown): void {
  const e =
    err instanceof CairnError
      ? err
      : ((err instanceof Error ? fromSystemError(err) : undefined) ??
        new CairnError('INTERNAL', err instanceof Error ? err.message : String(err)));
  if (opts.json) process.stdout.write(`${JSON.stringify(e.toBody())}\n`);
  else process.stderr.write(`error: ${e.message}${e.code === 'INTERNAL' ? '' : ` (${e.code})`}\n`);
}

/** Wraps a command action so a failure prints one clean error and sets the exit code. */
export function action<A extends unknown[]>(
  run: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (err) {
      const last = args[args.length - 2];
      const opts =
        typeof last === 'object' && last !== null ? (last as OutputOptions) : ({} as OutputOptions);
      printError(opts, err);
      process.exitCode = 1;
    }
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
