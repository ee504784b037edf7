/**
 * Builds the web UI into static files: `dist/index.html` and `dist/assets/` (one script bundle,
 * one stylesheet). The server serves whatever directory it is given; the CLI gives it `UI_DIST_DIR`.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const UI_DIST_DIR = fileURLToPath(new URL('../dist', import.meta.url));
const SRC = fileURLToPath(new URL('../src', import.meta.url));

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Puts a finished build at `outDir`. With `replace`, an older build is first moved aside (so the
 * directory is missing only between two renames); without, a build that got there first wins.
 * Several `cairn server`s starting at once on a fresh clone each build, and all end with one.
 */
async function moveIntoPlace(tmp: string, outDir: string, replace: boolean): Promise<void> {
  const old = `${outDir}.${process.pid}.old`;
  if (replace) {
    await rename(outDir, old).catch((err: unknown) => {
      if (errCode(err) !== 'ENOENT') throw err;
    });
  }
  try {
    await rename(tmp, outDir);
  } catch (err) {
    if (errCode(err) !== 'ENOTEMPTY' && errCode(err) !== 'EEXIST') throw err;
    await rm(tmp, { recursive: true, force: true });
  } finally {
    await rm(old, { recursive: true, force: true });
  }
}

async function buildInto(outDir: string, replace: boolean): Promise<string> {
  const tmp = `${outDir}.${process.pid}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, 'assets'), { recursive: true });
  try {
    await build({
      entryPoints: [join(SRC, 'main.tsx')],
      outfile: join(tmp, 'assets', 'app.js'),
      bundle: true,
      minify: true,
      format: 'esm',
      target: 'es2022',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      sourcemap: 'linked',
      legalComments: 'none',
      logLevel: 'warning',
    });
    await copyFile(join(SRC, 'index.html'), join(tmp, 'index.html'));
    await copyFile(join(SRC, 'app.css'), join(tmp, 'assets', 'app.css'));
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await moveIntoPlace(tmp, outDir, replace);
  return outDir;
}

/** Builds into `outDir` (replacing what is there) through a temp directory. */
export function buildUi(outDir: string = UI_DIST_DIR): Promise<string> {
  return buildInto(outDir, true);
}

/** The UI directory, built first if it is not there yet (a fresh clone that skipped `npm start`). */
export async function builtUiDir(): Promise<string> {
  if (!existsSync(join(UI_DIST_DIR, 'index.html'))) await buildInto(UI_DIST_DIR, false);
  return UI_DIST_DIR;
}
