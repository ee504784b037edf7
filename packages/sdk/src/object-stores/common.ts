import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CairnError, joinEntryPath, normalizeEntryPath } from '@cairn/core';
import type { ManifestEntry } from '@cairn/core';
import type { ObjectReferenceOptions } from './types.js';

/** W&B's default ceiling for directory and prefix references. */
export const DEFAULT_MAX_OBJECTS = 10_000_000;

/** One object found under a reference: its key below the bucket/container and its metadata. */
export interface StoredObject {
  key: string;
  size: number;
  digest: string;
  extra: Record<string, string>;
}

export function lastSegment(p: string): string {
  const parts = p.split('/').filter((s) => s !== '');
  return parts[parts.length - 1] ?? '';
}

export function tooMany(uri: string, maxObjects: number): CairnError {
  return new CairnError(
    'LIMIT_EXCEEDED',
    `reference ${uri} holds more than maxObjects=${maxObjects} objects; raise maxObjects or reference a narrower prefix`,
    { uri, maxObjects },
  );
}

export function notFound(uri: string, why: string): CairnError {
  return new CairnError('NOT_FOUND', `reference ${uri}: ${why}`, { uri });
}

export function unavailable(uri: string, err: unknown): CairnError {
  if (err instanceof CairnError) return err;
  return new CairnError(
    'UNAVAILABLE',
    `reference ${uri}: the object store could not be reached (${(err as Error).message})`,
    { uri },
  );
}

/** Entry of one object named by the reference itself (`name`, else the key's last segment). */
export function singleEntry(
  uri: string,
  obj: StoredObject,
  name: string | undefined,
): ManifestEntry {
  const entry: ManifestEntry = {
    path: normalizeEntryPath(name ?? lastSegment(obj.key)),
    digest: obj.digest === '' ? uri : obj.digest,
    size: obj.size,
    ref: uri,
  };
  if (Object.keys(obj.extra).length > 0) entry.extra = { ...obj.extra };
  return entry;
}

/**
 * Entries of the objects under a prefix, as W&B names them: the key relative to the prefix,
 * below `name` when given. `refOf` gives each object's own URI.
 */
export function prefixEntries(
  prefix: string,
  objects: readonly StoredObject[],
  name: string | undefined,
  refOf: (key: string) => string,
): ManifestEntry[] {
  const under = name === undefined ? '' : normalizeEntryPath(name);
  return objects.map((o) => {
    const entry: ManifestEntry = {
      path: joinEntryPath(under, o.key.slice(prefix.length)),
      digest: o.digest === '' ? refOf(o.key) : o.digest,
      size: o.size,
      ref: refOf(o.key),
    };
    if (Object.keys(o.extra).length > 0) entry.extra = { ...o.extra };
    return entry;
  });
}

/** How one object store answers for a reference: an object by its exact key, or a prefix. */
export interface ReferenceLookup {
  /** The object named exactly `key`, or undefined when there is none. */
  head(key: string): Promise<StoredObject | undefined>;
  /** Every object under `prefix`; more than `maxObjects` is an error, never a truncation. */
  list(prefix: string, maxObjects: number): Promise<StoredObject[]>;
  /** The reference URI of a listed object. */
  uriOf(key: string): string;
  /** The not-found message when neither an object nor a prefix matches. */
  missing: string;
}

/**
 * The entries of a reference, as W&B's handlers make them: without `checksum` nothing is asked
 * and the URI is the digest; a key naming an object is one entry; otherwise the key is a prefix
 * whose objects are listed. `root` stands in for an empty key (the bucket or container).
 */
export async function objectReference(
  uri: string,
  key: string,
  root: string,
  opts: ObjectReferenceOptions,
  lookup: ReferenceLookup,
): Promise<ManifestEntry[]> {
  if (!opts.checksum) {
    return [singleEntry(uri, { key: key || root, size: 0, digest: uri, extra: {} }, opts.name)];
  }
  const isPrefix = key === '' || key.endsWith('/');
  const obj = isPrefix ? undefined : await lookup.head(key);
  if (obj) return [singleEntry(uri, obj, opts.name)];
  const prefix = isPrefix ? key : `${key}/`;
  const objects = await lookup.list(prefix, opts.maxObjects);
  if (objects.length === 0) throw notFound(uri, lookup.missing);
  return prefixEntries(prefix, objects, opts.name, lookup.uriOf);
}

/** An unquoted ETag (W&B records it without quotes or the weak prefix). */
export function bareEtag(etag: string | null | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * Writes a byte stream to `dest` through a temp name beside it, so a failure (or a `check`
 * that throws once every byte is in) leaves nothing at `dest`.
 */
export async function writeStreamTo(
  body: AsyncIterable<Uint8Array>,
  dest: string,
  onChunk?: (chunk: Uint8Array) => void,
  check?: () => void,
): Promise<void> {
  const tmp = join(dirname(dest), `.${randomBytes(6).toString('hex')}.cairn-tmp`);
  const out = createWriteStream(tmp);
  try {
    for await (const chunk of body) {
      onChunk?.(chunk);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    check?.();
    await rename(tmp, dest);
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
}

/** `bucket` and `key` of `scheme://bucket/key`. */
export function splitBucketUri(uri: string, scheme: string): { bucket: string; key: string } {
  const rest = uri.slice(scheme.length + 3);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket === '') {
    throw new CairnError('VALIDATION', `reference ${uri} names no bucket`, {
      uri,
      rule: 'ref',
    });
  }
  return { bucket, key };
}
