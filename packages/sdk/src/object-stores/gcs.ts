import { createHash } from 'node:crypto';
import { CairnError } from '@cairn/core';
import type { ManifestEntry } from '@cairn/core';
import { env, listPageSize, objectStoreOptions } from './config.js';
import {
  notFound,
  objectReference,
  splitBucketUri,
  tooMany,
  unavailable,
  writeStreamTo,
  type StoredObject,
} from './common.js';
import type { ObjectReferenceOptions } from './types.js';

// The GCS JSON API over fetch: a bearer token from the environment, no Google client library.

interface GcsObject {
  name: string;
  size?: string;
  md5Hash?: string;
  etag?: string;
  generation?: string;
}

function endpoint(): string {
  const o = objectStoreOptions().gcs?.endpoint ?? env('STORAGE_EMULATOR_HOST');
  if (o === undefined) return 'https://storage.googleapis.com';
  return (/^https?:\/\//.test(o) ? o : `http://${o}`).replace(/\/+$/, '');
}

function headers(): Record<string, string> {
  const token =
    objectStoreOptions().gcs?.token ?? env('CAIRN_GCS_TOKEN') ?? env('GOOGLE_OAUTH_ACCESS_TOKEN');
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

function objectUrl(bucket: string, key: string): string {
  return `${endpoint()}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(key)}`;
}

function toStored(o: GcsObject): StoredObject {
  // W&B's GCS handler: the MD5 (base64, the same form as a stored entry's digest) is the
  // digest, the generation the version; composite objects have no MD5, so their ETag stands in.
  const extra: Record<string, string> = {};
  if (o.etag !== undefined) extra.etag = o.etag;
  if (o.generation !== undefined) extra.versionID = o.generation;
  return { key: o.name, size: Number(o.size ?? 0), digest: o.md5Hash ?? o.etag ?? '', extra };
}

async function getJson<T>(uri: string, url: string): Promise<T | undefined> {
  const res = await fetch(url, { headers: headers() });
  if (res.status === 404) return undefined;
  if (!res.ok) {
    const why = `GCS answered HTTP ${res.status}`;
    throw res.status === 401 || res.status === 403
      ? notFound(uri, `${why}; set CAIRN_GCS_TOKEN or GOOGLE_OAUTH_ACCESS_TOKEN`)
      : new CairnError('UNAVAILABLE', `reference ${uri}: ${why}`, { uri });
  }
  return (await res.json()) as T;
}

async function listPrefix(
  uri: string,
  bucket: string,
  prefix: string,
  max: number,
): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  let token: string | undefined;
  do {
    const q = new URLSearchParams({ prefix, maxResults: String(listPageSize(1000)) });
    if (token !== undefined) q.set('pageToken', token);
    const url = `${endpoint()}/storage/v1/b/${encodeURIComponent(bucket)}/o?${q.toString()}`;
    const page = await getJson<{ items?: GcsObject[]; nextPageToken?: string }>(uri, url);
    if (!page) throw notFound(uri, `bucket ${bucket} does not exist`);
    for (const o of page.items ?? []) {
      if (o.name.endsWith('/')) continue;
      if (out.length >= max) throw tooMany(uri, max);
      out.push(toStored(o));
    }
    token = page.nextPageToken;
  } while (token !== undefined && token !== '');
  return out;
}

/** Entries of a `gs://bucket/key` reference: one object, or every object under the prefix. */
export async function gcsReference(
  uri: string,
  opts: ObjectReferenceOptions,
): Promise<ManifestEntry[]> {
  const { bucket, key } = splitBucketUri(uri, 'gs');
  try {
    return await objectReference(uri, key, bucket, opts, {
      head: (k) => getJson<GcsObject>(uri, objectUrl(bucket, k)).then((o) => o && toStored(o)),
      list: (prefix, max) => listPrefix(uri, bucket, prefix, max),
      uriOf: (k) => `gs://${bucket}/${k}`,
      missing: 'no object has this name or prefix',
    });
  } catch (err) {
    throw unavailable(uri, err);
  }
}

/**
 * Fetches a GCS reference: the recorded generation, and the bytes' MD5 checked against the
 * digest when the digest is one (a changed object under an unversioned bucket is an error).
 */
export async function gcsDownload(entry: ManifestEntry, dest: string): Promise<void> {
  const uri = entry.ref as string;
  const { bucket, key } = splitBucketUri(uri, 'gs');
  const q = new URLSearchParams({ alt: 'media' });
  const generation = entry.extra?.versionID;
  if (typeof generation === 'string') q.set('generation', generation);
  let res: Response;
  try {
    res = await fetch(`${objectUrl(bucket, key)}?${q.toString()}`, { headers: headers() });
  } catch (err) {
    throw unavailable(uri, err);
  }
  if (!res.ok || !res.body) throw notFound(uri, `GCS answered HTTP ${res.status}`);
  const md5 = createHash('md5');
  await writeStreamTo(
    res.body as AsyncIterable<Uint8Array>,
    dest,
    (c) => md5.update(c),
    () => {
      const got = md5.digest('base64');
      // A digest that is not a base64 MD5 (the URI, a composite's ETag) cannot be checked so.
      if (/^[A-Za-z0-9+/]{22}==$/.test(entry.digest) && got !== entry.digest) {
        throw new CairnError(
          'DIGEST_MISMATCH',
          `reference ${uri} changed since it was logged (MD5 ${got}, expected ${entry.digest})`,
          { path: entry.path, ref: uri },
        );
      }
    },
  );
}
