import { createHmac } from 'node:crypto';
import { env, objectStoreOptions } from './config.js';

/** How requests for one storage account are sent: where to, and how they are authorized. */
export interface AzureAccess {
  /** Base URL of the account's blob service (no trailing slash). */
  base: string;
  account: string;
  key?: Buffer;
  sas?: string;
  token?: string;
}

function connectionString(): Record<string, string> {
  const raw = env('AZURE_STORAGE_CONNECTION_STRING');
  const out: Record<string, string> = {};
  for (const part of (raw ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/**
 * Access for `account`: explicit options first, then `AZURE_STORAGE_CONNECTION_STRING` (its
 * BlobEndpoint redirects the account, as for an emulator), then `AZURE_STORAGE_ACCOUNT`/`_KEY`,
 * `AZURE_STORAGE_SAS_TOKEN`, `AZURE_STORAGE_TOKEN`. With none, requests go unsigned (public).
 */
export function azureAccess(account: string): AzureAccess {
  const o = objectStoreOptions().azure ?? {};
  const cs = connectionString();
  const csHere = cs.AccountName === account;
  const name = o.accountName ?? (csHere ? cs.AccountName : env('AZURE_STORAGE_ACCOUNT'));
  const key =
    name === account
      ? (o.accountKey ?? (csHere ? cs.AccountKey : env('AZURE_STORAGE_KEY')))
      : undefined;
  const base =
    o.blobEndpoint ??
    (csHere ? cs.BlobEndpoint : undefined) ??
    `https://${account}.blob.core.windows.net`;
  const sas =
    o.sasToken ?? (csHere ? cs.SharedAccessSignature : undefined) ?? env('AZURE_STORAGE_SAS_TOKEN');
  const token = o.token ?? env('AZURE_STORAGE_TOKEN');
  const access: AzureAccess = { base: base.replace(/\/+$/, ''), account };
  if (key !== undefined) access.key = Buffer.from(key, 'base64');
  else if (sas !== undefined) access.sas = sas.replace(/^\?/, '');
  else if (token !== undefined) access.token = token;
  return access;
}

const SIGNED_STANDARD = [
  'content-encoding',
  'content-language',
  'content-length',
  'content-md5',
  'content-type',
  'date',
  'if-modified-since',
  'if-match',
  'if-none-match',
  'if-unmodified-since',
  'range',
];

/** Headers (with x-ms-date/version and Authorization) for one request, signed per Shared Key. */
export function azureHeaders(
  access: AzureAccess,
  method: string,
  url: URL,
  extra: Record<string, string> = {},
): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ms-date': new Date().toUTCString(),
    'x-ms-version': '2021-10-04',
    ...extra,
  };
  if (access.token !== undefined) headers.authorization = `Bearer ${access.token}`;
  if (access.key === undefined) return headers;
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const standard = SIGNED_STANDARD.map((h) => {
    const v = lower.get(h) ?? '';
    return h === 'content-length' && v === '0' ? '' : v;
  });
  const msHeaders = [...lower.keys()]
    .filter((k) => k.startsWith('x-ms-'))
    .sort()
    .map((k) => `${k}:${(lower.get(k) ?? '').trim()}\n`)
    .join('');
  const params = new Map<string, string[]>();
  for (const [k, v] of url.searchParams) {
    const key = k.toLowerCase();
    params.set(key, [...(params.get(key) ?? []), v]);
  }
  const resource =
    `/${access.account}${url.pathname}` +
    [...params.keys()]
      .sort()
      .map((k) => `\n${k}:${(params.get(k) ?? []).sort().join(',')}`)
      .join('');
  const toSign = `${method}\n${standard.join('\n')}\n${msHeaders}${resource}`;
  const sig = createHmac('sha256', access.key).update(toSign, 'utf8').digest('base64');
  headers.authorization = `SharedKey ${access.account}:${sig}`;
  return headers;
}

/** The request URL with the SAS token appended when that is how the account is reached. */
export function withSas(access: AzureAccess, url: URL): URL {
  if (access.sas === undefined) return url;
  const signed = new URL(url);
  for (const [k, v] of new URLSearchParams(access.sas)) signed.searchParams.set(k, v);
  return signed;
}
