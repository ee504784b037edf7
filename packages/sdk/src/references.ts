import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CairnError, ValidationError, joinEntryPath, normalizeEntryPath } from '@cairn/core';
import type { ManifestEntry } from '@cairn/core';
import { hashFile } from './hashing.js';
import { azureReference, isAzureBlobUrl } from './object-stores/azure.js';
import { DEFAULT_MAX_OBJECTS } from './object-stores/common.js';
import { gcsReference } from './object-stores/gcs.js';
import { s3Reference } from './object-stores/s3.js';

export { DEFAULT_MAX_OBJECTS };

export interface ReferenceOptions {
  name?: string;
  checksum?: boolean;
  maxObjects?: number;
}

function lastSegment(p: string): string {
  const parts = p.split('/').filter((s) => s !== '');
  return parts[parts.length - 1] ?? '';
}

async function walkFiles(dir: string, limit: number, uri: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    const items = await readdir(d, { withFileTypes: true });
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const item of items) {
      const p = join(d, item.name);
      if (item.isDirectory()) await walk(p);
      else if (item.isFile()) {
        if (out.length >= limit) {
          throw new CairnError(
            'LIMIT_EXCEEDED',
            `reference ${uri} holds more than maxObjects=${limit} files; raise maxObjects or reference a narrower directory`,
            { uri, maxObjects: limit },
          );
        }
        out.push(p);
      }
    }
  }
  await walk(dir);
  return out;
}

/** Entries for a `file://` reference: one file, or every file below a directory. */
async function fileReference(uri: string, opts: ReferenceOptions): Promise<ManifestEntry[]> {
  const checksum = opts.checksum ?? true;
  const maxObjects = opts.maxObjects ?? DEFAULT_MAX_OBJECTS;
  const localPath = fileURLToPath(uri);
  const st = await stat(localPath).catch(() => undefined);
  if (!st) {
    throw new CairnError('NOT_FOUND', `reference ${uri}: ${localPath} does not exist`, { uri });
  }
  if (st.isDirectory()) {
    if (!checksum) {
      // As W&B: without checksums a directory is recorded as the URI itself, not walked.
      const name = normalizeEntryPath(opts.name ?? lastSegment(localPath));
      return [{ path: name, digest: uri, size: 0, ref: uri }];
    }
    const files = await walkFiles(localPath, maxObjects, uri);
    const prefix = opts.name === undefined ? '' : normalizeEntryPath(opts.name);
    const entries: ManifestEntry[] = [];
    for (const f of files) {
      const rel = relative(localPath, f).split(sep).join('/');
      const h = await hashFile(f);
      entries.push({
        path: joinEntryPath(prefix, rel),
        digest: h.md5,
        size: h.size,
        ref: pathToFileURL(f).toString(),
      });
    }
    return entries;
  }
  const name = normalizeEntryPath(opts.name ?? lastSegment(localPath));
  if (!checksum) return [{ path: name, digest: uri, size: st.size, ref: uri }];
  const h = await hashFile(localPath);
  return [{ path: name, digest: h.md5, size: h.size, ref: uri }];
}

/** Entry for an `http(s)://` reference: size and digest from a HEAD's Content-Length and ETag. */
async function httpReference(uri: string, opts: ReferenceOptions): Promise<ManifestEntry[]> {
  const url = new URL(uri);
  const name = normalizeEntryPath(opts.name ?? (lastSegment(url.pathname) || url.hostname));
  if (opts.checksum === false) return [{ path: name, digest: uri, size: 0, ref: uri }];
  let res: Response;
  try {
    res = await fetch(uri, { method: 'HEAD', redirect: 'follow' });
  } catch (err) {
    throw new CairnError(
      'UNAVAILABLE',
      `reference ${uri}: HEAD failed (${(err as Error).message})`,
      {
        uri,
      },
    );
  }
  if (!res.ok) {
    throw new CairnError('NOT_FOUND', `reference ${uri}: HEAD answered HTTP ${res.status}`, {
      uri,
    });
  }
  const etag = res.headers.get('etag');
  const length = Number(res.headers.get('content-length') ?? 0);
  const digest = etag ? etag.replace(/^W\//, '').replace(/^"|"$/g, '') : uri;
  const entry: ManifestEntry = {
    path: name,
    digest: digest === '' ? uri : digest,
    size: Number.isSafeInteger(length) && length >= 0 ? length : 0,
    ref: uri,
  };
  if (etag) entry.extra = { etag };
  return [entry];
}

export async function resolveReference(
  uri: string,
  opts: ReferenceOptions = {},
): Promise<ManifestEntry[]> {
  if (typeof uri !== 'string') throw new ValidationError('reference URI must be a string');
  if (
    opts.maxObjects !== undefined &&
    (!Number.isInteger(opts.maxObjects) || opts.maxObjects < 1)
  ) {
    throw new ValidationError(`maxObjects must be a positive integer, got ${opts.maxObjects}`, {
      rule: 'maxObjects',
    });
  }
  if (uri.startsWith('file://')) return fileReference(uri, opts);
  const store = {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    checksum: opts.checksum ?? true,
    maxObjects: opts.maxObjects ?? DEFAULT_MAX_OBJECTS,
  };
  if (uri.startsWith('s3://')) return s3Reference(uri, store);
  if (uri.startsWith('gs://')) return gcsReference(uri, store);
  if (isAzureBlobUrl(uri)) return azureReference(uri, store);
  if (uri.startsWith('http://') || uri.startsWith('https://')) return httpReference(uri, opts);
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(uri);
  if (!m)
    throw new ValidationError(`reference ${JSON.stringify(uri)} is not a URI`, { rule: 'ref' });
  // Other schemes: W&B records the URI as the digest and leaves the size blank.
  const name = normalizeEntryPath(opts.name ?? lastSegment(uri.slice(m[0].length)));
  return [{ path: name, digest: uri, size: 0, ref: uri }];
}
