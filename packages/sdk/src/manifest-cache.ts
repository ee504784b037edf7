import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ManifestEntry } from '@cairn/core';

/** Manifests kept; past this the least recently written go. */
const MAX_MANIFESTS = 64;

/**
 * Manifests of logged versions, kept beside the blob cache (`<cacheDir>/manifests/`): a version is
 * immutable once committed, so its manifest, fetched once, never needs fetching again; a warm
 * download of 10^4 files then asks the server only which version a ref names. Files are named by
 * a hash of the server URL and the version id, so caches shared by several servers never mix.
 * Whatever is read is validated again by the caller, like a manifest from the server.
 */
export class ManifestCache {
  readonly dir: string;

  constructor(
    cacheDir: string,
    private readonly serverUrl: string,
  ) {
    this.dir = join(cacheDir, 'manifests');
  }

  private pathOf(versionId: string): string {
    const key = createHash('sha256').update(`${this.serverUrl}\n${versionId}`).digest('hex');
    return join(this.dir, `${key.slice(0, 40)}.json`);
  }

  /** The entries of a version's manifest if cached (unvalidated), else undefined. */
  read(versionId: string): unknown[] | undefined {
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.pathOf(versionId), 'utf8'));
      return Array.isArray(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  /** Keeps a version's (validated) entries; a failure to write only costs a later fetch. */
  write(versionId: string, entries: readonly ManifestEntry[]): void {
    const final = this.pathOf(versionId);
    const tmp = `${final}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, JSON.stringify(entries));
      renameSync(tmp, final);
      this.prune();
    } catch {
      rmSync(tmp, { force: true });
    }
  }

  private prune(): void {
    const names = readdirSync(this.dir).filter((n) => n.endsWith('.json'));
    if (names.length <= MAX_MANIFESTS) return;
    const aged = names
      .map((n) => ({ n, t: statSync(join(this.dir, n), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
      .sort((a, b) => a.t - b.t);
    for (const { n } of aged.slice(0, names.length - MAX_MANIFESTS)) {
      rmSync(join(this.dir, n), { force: true });
    }
  }
}
