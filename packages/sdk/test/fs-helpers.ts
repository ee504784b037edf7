import { rmSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Temp folders of this test process, removed when it exits (each test file is a process). */
const made: string[] = [];
process.once('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export async function tempDir(prefix = 'cairn-sdk-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Writes `files` (relative path → content) below `root`. */
export async function writeTree(
  root: string,
  files: Record<string, string | Uint8Array>,
): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, ...rel.split('/'));
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
  }
}

export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

// Drafts without a client hash through a default-configured context: keep its stat cache out of
// the user's ~/.cache during tests.
if (process.env['CAIRN_CACHE_DIR'] === undefined) {
  process.env['CAIRN_CACHE_DIR'] = join(tmpdir(), `cairn-sdk-test-cache-${process.pid}`);
  made.push(process.env['CAIRN_CACHE_DIR']);
}
