import { CairnError } from '@cairn/core';
import type { ManifestEntry } from '@cairn/core';
import { azureAccess, azureHeaders, withSas, type AzureAccess } from './azure-auth.js';
import { listPageSize } from './config.js';
import {
  bareEtag,
  notFound,
  objectReference,
  tooMany,
  unavailable,
  writeStreamTo,
  type StoredObject,
} from './common.js';
import type { ObjectReferenceOptions } from './types.js';

const AZURE_HOST = /^([a-z0-9]{3,24})\.blob\.core\.windows\.net$/;

/** Whether a URL is an Azure blob URL (`https://<account>.blob.core.windows.net/...`). */
export function isAzureBlobUrl(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol === 'https:' && AZURE_HOST.test(u.hostname);
  } catch {
    return false;
  }
}

interface AzureTarget {
  access: AzureAccess;
  account: string;
  container: string;
  key: string;
}

function target(uri: string): AzureTarget {
  const u = new URL(uri);
  const account = AZURE_HOST.exec(u.hostname)?.[1] as string;
  const [container = '', ...rest] = u.pathname.split('/').slice(1);
  if (container === '') {
    throw new CairnError('VALIDATION', `reference ${uri} names no container`, {
      uri,
      rule: 'ref',
    });
  }
  const key = rest.map((s) => decodeURIComponent(s)).join('/');
  return { access: azureAccess(account), account, container, key };
}

function blobUrl(t: AzureTarget, key: string): URL {
  const path = key
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
  return new URL(`${t.access.base}/${encodeURIComponent(t.container)}/${path}`);
}

/** The canonical URI of a blob under the same account and container as `t`. */
function canonical(t: AzureTarget, key: string): string {
  const path = key
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
  return `https://${t.account}.blob.core.windows.net/${t.container}/${path}`;
}

async function send(
  t: AzureTarget,
  method: string,
  url: URL,
  extra?: Record<string, string>,
): Promise<Response> {
  const signed = withSas(t.access, url);
  return fetch(signed, { method, headers: azureHeaders(t.access, method, signed, extra) });
}

async function blobProperties(t: AzureTarget, uri: string): Promise<StoredObject | undefined> {
  const res = await send(t, 'HEAD', blobUrl(t, t.key));
  if (res.status === 404) return undefined;
  if (!res.ok) throw notFound(uri, `Azure answered HTTP ${res.status} to Get Blob Properties`);
  const etag = bareEtag(res.headers.get('etag'));
  const extra: Record<string, string> = { etag };
  const version = res.headers.get('x-ms-version-id');
  if (version) extra.versionID = version;
  return { key: t.key, size: Number(res.headers.get('content-length') ?? 0), digest: etag, extra };
}

function xmlText(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function tag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m?.[1] === undefined ? undefined : xmlText(m[1]);
}

async function listPrefix(
  t: AzureTarget,
  uri: string,
  prefix: string,
  max: number,
): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  let marker: string | undefined;
  do {
    const url = new URL(`${t.access.base}/${encodeURIComponent(t.container)}`);
    url.searchParams.set('restype', 'container');
    url.searchParams.set('comp', 'list');
    url.searchParams.set('prefix', prefix);
    url.searchParams.set('maxresults', String(listPageSize(5000)));
    if (marker !== undefined) url.searchParams.set('marker', marker);
    const res = await send(t, 'GET', url);
    if (res.status === 404) throw notFound(uri, `container ${t.container} does not exist`);
    if (!res.ok) throw notFound(uri, `Azure answered HTTP ${res.status} to List Blobs`);
    const xml = await res.text();
    for (const m of xml.matchAll(/<Blob>([\s\S]*?)<\/Blob>/g)) {
      const blob = m[1] ?? '';
      const name = tag(blob, 'Name');
      if (name === undefined || name.endsWith('/')) continue;
      if (out.length >= max) throw tooMany(uri, max);
      const etag = bareEtag(tag(blob, 'Etag'));
      const extra: Record<string, string> = { etag };
      const version = tag(blob, 'VersionId');
      if (version) extra.versionID = version;
      out.push({ key: name, size: Number(tag(blob, 'Content-Length') ?? 0), digest: etag, extra });
    }
    marker = tag(xml, 'NextMarker') || undefined;
  } while (marker !== undefined);
  return out;
}

/** Entries of an Azure blob URL: one blob (ETag as digest), or every blob under the prefix. */
export async function azureReference(
  uri: string,
  opts: ObjectReferenceOptions,
): Promise<ManifestEntry[]> {
  const t = target(uri);
  try {
    return await objectReference(uri, t.key, t.container, opts, {
      head: (k) => blobProperties({ ...t, key: k }, uri),
      list: (prefix, max) => listPrefix(t, uri, prefix, max),
      uriOf: (k) => canonical(t, k),
      missing: 'no blob has this name or prefix',
    });
  } catch (err) {
    throw unavailable(uri, err);
  }
}

/** Fetches an Azure blob: its recorded version, else the current blob only while its ETag holds. */
export async function azureDownload(entry: ManifestEntry, dest: string): Promise<void> {
  const uri = entry.ref as string;
  const t = target(uri);
  const url = blobUrl(t, t.key);
  const version = entry.extra?.versionID;
  const etag = typeof entry.extra?.etag === 'string' ? entry.extra.etag : undefined;
  if (typeof version === 'string') url.searchParams.set('versionid', version);
  const extra: Record<string, string> =
    etag !== undefined && typeof version !== 'string' ? { 'If-Match': `"${etag}"` } : {};
  let res: Response;
  try {
    res = await send(t, 'GET', url, extra);
  } catch (err) {
    throw unavailable(uri, err);
  }
  // A failed If-Match on a blob that is gone (the emulator answers so) is a missing blob.
  if (res.status === 412 && (await blobProperties(t, uri)) === undefined) {
    throw notFound(uri, 'the blob no longer exists');
  }
  if (res.status === 412) {
    throw new CairnError(
      'DIGEST_MISMATCH',
      `reference ${uri} changed since it was logged (its ETag is no longer ${etag})`,
      { path: entry.path, ref: uri },
    );
  }
  if (!res.ok || !res.body) throw notFound(uri, `Azure answered HTTP ${res.status} to Get Blob`);
  await writeStreamTo(res.body as AsyncIterable<Uint8Array>, dest);
}
