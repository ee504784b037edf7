import { createHash } from 'node:crypto';
import { ValidationError } from './errors.js';
import { compareCodePoints, normalizeEntryPath } from './paths.js';
import type { ManifestEntry } from './wire.js';

/**
 * Manifests and their W&B-compatible digests. The artifact digest is W&B's: hex MD5 of
 * "wandb-artifact-manifest-v1\n" followed by "<path>:<entry digest>\n" for each entry in code
 * point order, so the same files give the same digest in Cairn and in W&B.
 */

export const MANIFEST_DIGEST_HEADER = 'wandb-artifact-manifest-v1\n';
const SHA256_RE = /^[0-9a-f]{64}$/;
const MD5_B64_RE = /^[A-Za-z0-9+/]{22}==$/;

export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_RE.test(value);
}

export function isMd5Base64(value: unknown): value is string {
  return typeof value === 'string' && MD5_B64_RE.test(value);
}

export function sortEntries<T extends { path: string }>(entries: Iterable<T>): T[] {
  return [...entries].sort((a, b) => compareCodePoints(a.path, b.path));
}

export function manifestDigest(entries: Iterable<Pick<ManifestEntry, 'path' | 'digest'>>): string {
  const md5 = createHash('md5');
  md5.update(MANIFEST_DIGEST_HEADER);
  // One update of the whole text: 10^4 small updates cost more than the hashing itself.
  const lines: string[] = [];
  for (const e of sortEntries(entries)) lines.push(`${e.path}:${e.digest}\n`);
  md5.update(lines.join(''));
  return md5.digest('hex');
}

export function manifestSize(entries: Iterable<Pick<ManifestEntry, 'size'>>): number {
  let total = 0;
  for (const e of entries) total += e.size;
  return total;
}

/** Checks one entry as it arrives over the wire and returns it with a normalized path. */
export function validateEntry(value: unknown): ManifestEntry {
  if (typeof value !== 'object' || value === null) {
    throw new ValidationError('manifest entry must be an object', { rule: 'entry.object' });
  }
  const e = value as Record<string, unknown>;
  const path = normalizeEntryPath(e['path']);
  const { digest, size, sha256, ref, birthArtifactId, extra } = e;
  if (typeof digest !== 'string' || digest.length === 0 || digest.length > 4096) {
    throw new ValidationError(`entry ${JSON.stringify(path)} needs a digest string`, {
      rule: 'entry.digest',
      path,
    });
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ValidationError(
      `entry ${JSON.stringify(path)} has size ${String(size)}; sizes are non-negative integers`,
      { rule: 'entry.size', path },
    );
  }
  if (sha256 === undefined && ref === undefined) {
    throw new ValidationError(
      `entry ${JSON.stringify(path)} needs either the sha256 of its bytes or a ref URI`,
      { rule: 'entry.content', path },
    );
  }
  if (sha256 !== undefined && !isSha256Hex(sha256)) {
    throw new ValidationError(
      `entry ${JSON.stringify(path)} has sha256 ${JSON.stringify(sha256)}; expected 64 lowercase hex digits`,
      { rule: 'entry.sha256', path },
    );
  }
  if (sha256 !== undefined && !isMd5Base64(digest)) {
    throw new ValidationError(
      `entry ${JSON.stringify(path)} has digest ${JSON.stringify(digest)}; stored files carry the base64 MD5 of their bytes`,
      { rule: 'entry.digest', path },
    );
  }
  if (ref !== undefined && (typeof ref !== 'string' || !/^[a-z][a-z0-9+.-]*:/i.test(ref))) {
    throw new ValidationError(`entry ${JSON.stringify(path)} has a ref that is not a URI`, {
      rule: 'entry.ref',
      path,
    });
  }
  if (birthArtifactId !== undefined && typeof birthArtifactId !== 'string') {
    throw new ValidationError(`entry ${JSON.stringify(path)} has a non-string birthArtifactId`, {
      rule: 'entry.birthArtifactId',
      path,
    });
  }
  if (
    extra !== undefined &&
    (typeof extra !== 'object' || extra === null || Array.isArray(extra))
  ) {
    throw new ValidationError(`entry ${JSON.stringify(path)} has extra that is not an object`, {
      rule: 'entry.extra',
      path,
    });
  }
  const out: ManifestEntry = { path, digest, size };
  if (sha256 !== undefined) out.sha256 = sha256;
  if (ref !== undefined) out.ref = ref as string;
  if (birthArtifactId !== undefined) out.birthArtifactId = birthArtifactId;
  if (extra !== undefined) out.extra = extra as Record<string, unknown>;
  return out;
}

/** Validates a whole manifest: every entry, and no path twice. Returns entries sorted by path. */
export function validateEntries(values: unknown): ManifestEntry[] {
  if (!Array.isArray(values)) {
    throw new ValidationError('entries must be a list', { rule: 'entries.list' });
  }
  const seen = new Set<string>();
  const entries = values.map(validateEntry);
  for (const e of entries) {
    if (seen.has(e.path)) {
      throw new ValidationError(`entry path ${JSON.stringify(e.path)} appears twice`, {
        rule: 'entries.unique',
        path: e.path,
      });
    }
    seen.add(e.path);
  }
  return sortEntries(entries);
}

/** W&B's manifest v1 JSON, as `artifact.manifest.to_manifest_json()` writes it. */
export interface WandbManifestV1 {
  version: 1;
  storagePolicy: 'wandb-storage-policy-v1';
  storagePolicyConfig: { storageLayout: 'V2' };
  contents: Record<
    string,
    {
      digest: string;
      size: number;
      ref?: string;
      birthArtifactID?: string;
      extra?: Record<string, unknown>;
    }
  >;
}

export function toWandbManifest(entries: Iterable<ManifestEntry>): WandbManifestV1 {
  const contents: WandbManifestV1['contents'] = {};
  for (const e of sortEntries(entries)) {
    contents[e.path] = {
      digest: e.digest,
      size: e.size,
      ...(e.ref !== undefined ? { ref: e.ref } : {}),
      ...(e.birthArtifactId !== undefined ? { birthArtifactID: e.birthArtifactId } : {}),
      ...(e.extra !== undefined ? { extra: e.extra } : {}),
    };
  }
  return {
    version: 1,
    storagePolicy: 'wandb-storage-policy-v1',
    storagePolicyConfig: { storageLayout: 'V2' },
    contents,
  };
}

/** Base64 MD5 (W&B's entry digest) from the raw 16 bytes. */
export function md5Base64(raw: Uint8Array): string {
  return Buffer.from(raw).toString('base64');
}
