import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export async function tempDir(prefix = 'cairn-sdk-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
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
process.env['CAIRN_CACHE_DIR'] ??= join(tmpdir(), `cairn-sdk-test-cache-${process.pid}`);
