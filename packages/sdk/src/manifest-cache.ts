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
/** The first line of a cached manifest: this, then the hex SHA-256 of the JSON after it. */
const SEAL_PREFIX = 'cairn-manifest-v2 sha256=';
const SEAL_LINE_LENGTH = SEAL_PREFIX.length + 64;

function sealOf(json: string): string {
  return createHash('sha256').update(json).digest('hex');
}

/**
 * Manifests of logged versions, kept beside the blob cache (`<cacheDir>/manifests/`): a version is
 * immutable once committed, so its manifest, fetched once, never needs fetching again; a warm
 * download of 10^4 files then asks the server only which version a ref names. Files are named by
 * a hash of the server URL and the version id, so caches shared by several servers never mix.
 *
 * Only entries already validated (and sorted) are written, sealed by the SHA-256 of their JSON
 * on a first line. A file whose seal holds is those entries byte for byte, so reading it skips
 * validating 10^4 entries again (a tenth of a warm download's time). A file whose seal does not
 * hold (torn, edited, an older format) is a miss: the manifest is fetched again. Whatever the
 * entries say, placing a file still checks its path against the root and its bytes against
 * their SHA-256.
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

  /** The entries of a version's manifest, as validated when cached, or undefined. */
  read(versionId: string): ManifestEntry[] | undefined {
    try {
      const text = readFileSync(this.pathOf(versionId), 'utf8');
      const cut = text.indexOf('\n');
      if (cut !== SEAL_LINE_LENGTH || !text.startsWith(SEAL_PREFIX)) return undefined;
      const json = text.slice(cut + 1);
      if (text.slice(SEAL_PREFIX.length, cut) !== sealOf(json)) return undefined;
      const parsed: unknown = JSON.parse(json);
      return Array.isArray(parsed) ? (parsed as ManifestEntry[]) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Keeps a version's entries, which must be validated and sorted (`validateEntries`): a read
   * hands them back as they are. A failure to write only costs a later fetch.
   */
  write(versionId: string, entries: readonly ManifestEntry[]): void {
    const final = this.pathOf(versionId);
    const tmp = `${final}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      const json = JSON.stringify(entries);
      writeFileSync(tmp, `${SEAL_PREFIX}${sealOf(json)}\n${json}`);
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
