import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { CairnError } from '@cairn/core';
import type { ManifestEntry } from '@cairn/core';
import { env, listPageSize, objectStoreOptions, onObjectStoreConfig } from './config.js';
import {
  bareEtag,
  notFound,
  objectReference,
  splitBucketUri,
  tooMany,
  unavailable,
  writeStreamTo,
  type StoredObject,
} from './common.js';
import type { ObjectReferenceOptions } from './types.js';

let client: Promise<S3Client> | undefined;
onObjectStoreConfig(() => {
  client = undefined;
});

/** One S3 client per configuration; the AWS SDK is loaded only when an s3:// URI is met. */
function s3(): Promise<S3Client> {
  client ??= (async () => {
    const { S3Client } = await import('@aws-sdk/client-s3');
    const o = objectStoreOptions().s3 ?? {};
    const pathStyle = env('CAIRN_S3_FORCE_PATH_STYLE');
    const config: S3ClientConfig = {
      region: o.region ?? env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? 'us-east-1',
      forcePathStyle: o.forcePathStyle ?? (pathStyle === '1' || pathStyle === 'true'),
      followRegionRedirects: true,
    };
    // Left unset, the AWS SDK picks AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL up itself.
    if (o.endpoint !== undefined) config.endpoint = o.endpoint;
    if (o.credentials !== undefined) config.credentials = o.credentials;
    return new S3Client(config);
  })();
  return client;
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

async function headObject(bucket: string, key: string): Promise<StoredObject | undefined> {
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  try {
    const h = await (await s3()).send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const etag = bareEtag(h.ETag);
    const extra: Record<string, string> = { etag };
    if (h.VersionId !== undefined && h.VersionId !== 'null') extra.versionID = h.VersionId;
    return { key, size: Number(h.ContentLength ?? 0), digest: etag, extra };
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}

/** Every object under `prefix`, page by page; more than `max` is an error, never a cut. */
async function listPrefix(
  uri: string,
  bucket: string,
  prefix: string,
  max: number,
): Promise<StoredObject[]> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const out: StoredObject[] = [];
  let token: string | undefined;
  do {
    const page = await (
      await s3()
    ).send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ContinuationToken: token,
        MaxKeys: listPageSize(1000),
      }),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined || o.Key.endsWith('/')) continue; // folder markers hold no bytes
      if (out.length >= max) throw tooMany(uri, max);
      const etag = bareEtag(o.ETag);
      out.push({ key: o.Key, size: Number(o.Size ?? 0), digest: etag, extra: { etag } });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
}

/**
 * Entries of an `s3://bucket/key` reference, as W&B's S3 handler makes them: an object is one
 * entry (ETag as digest, version id in `extra.versionID` when the bucket is versioned); a key
 * that names no object is a prefix whose objects are listed. Without `checksum` nothing is
 * asked: the URI is the digest.
 */
export async function s3Reference(
  uri: string,
  opts: ObjectReferenceOptions,
): Promise<ManifestEntry[]> {
  const { bucket, key } = splitBucketUri(uri, 's3');
  try {
    return await objectReference(uri, key, bucket, opts, {
      head: (k) => headObject(bucket, k),
      list: (prefix, max) => listPrefix(uri, bucket, prefix, max),
      uriOf: (k) => `s3://${bucket}/${k}`,
      missing: 'no object has this key or prefix',
    });
  } catch (err) {
    if (err instanceof CairnError) throw err;
    if (httpStatus(err) === 404 || httpStatus(err) === 403) {
      throw notFound(uri, `S3 answered HTTP ${httpStatus(err)} (${(err as Error).name})`);
    }
    throw unavailable(uri, err);
  }
}

function changed(uri: string, path: string, etag: string | undefined): CairnError {
  return new CairnError(
    'DIGEST_MISMATCH',
    `reference ${uri} changed since it was logged (its ETag is no longer ${etag})`,
    { path, ref: uri },
  );
}

/**
 * Fetches an S3 reference into `dest`: the recorded version when there is one, else the
 * current object only while its ETag is still the recorded one (If-Match), so a changed object
 * is an error rather than different bytes under the old digest.
 */
export async function s3Download(entry: ManifestEntry, dest: string): Promise<void> {
  const uri = entry.ref as string;
  const { bucket, key } = splitBucketUri(uri, 's3');
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const versionId = entry.extra?.versionID;
  const etag = typeof entry.extra?.etag === 'string' ? entry.extra.etag : undefined;
  try {
    const res = await (
      await s3()
    ).send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(typeof versionId === 'string' ? { VersionId: versionId } : {}),
        ...(etag !== undefined && typeof versionId !== 'string' ? { IfMatch: `"${etag}"` } : {}),
      }),
    );
    if (!res.Body) throw notFound(uri, 'S3 returned no body');
    // Some S3-compatible servers ignore If-Match: the ETag of what came back decides too.
    const got = bareEtag(res.ETag);
    if (etag !== undefined && typeof versionId !== 'string' && got !== '' && got !== etag) {
      (res.Body as { destroy?: () => void }).destroy?.();
      throw changed(uri, entry.path, etag);
    }
    await writeStreamTo(res.Body as AsyncIterable<Uint8Array>, dest);
  } catch (err) {
    if (err instanceof CairnError) throw err;
    const status = httpStatus(err);
    if (status === 412) throw changed(uri, entry.path, etag);
    if (status === 404 || status === 403) {
      throw notFound(uri, `S3 answered HTTP ${status} (${(err as Error).name})`);
    }
    throw unavailable(uri, err);
  }
}
