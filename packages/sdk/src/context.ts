import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ValidationError, validateName, validateProjectPath } from '@cairn/core';
import { BlobCache, DEFAULT_CACHE_MAX_BYTES } from './cache.js';
import { DigestMemo } from './digest-memo.js';
import { HttpClient } from './http.js';
import { ManifestCache } from './manifest-cache.js';
import { StatCache } from './stat-cache.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export const DEFAULT_ENTITY = 'local';
export const DEFAULT_PROJECT = 'uncategorized';

export interface CairnOptions {
  /** Server URL; default `CAIRN_URL`, else http://127.0.0.1:8080. */
  url?: string;
  /** Sent as `Authorization: Bearer <apiKey>`; default `CAIRN_API_KEY`. */
  apiKey?: string;
  /** Default entity for refs and saves; default `CAIRN_ENTITY`, else `local`. */
  entity?: string;
  /** Default project; default `CAIRN_PROJECT`, else `uncategorized` (as W&B). */
  project?: string;
  /** Local cache (blobs and the stat cache); default `CAIRN_CACHE_DIR`, else ~/.cache/cairn. */
  cacheDir?: string;
  /** Blob cache cap in bytes; default `CAIRN_CACHE_MAX_BYTES`, else 10 GiB. */
  cacheMaxBytes?: number;
}

/** What an Artifact needs from its client: the HTTP link, the caches and the defaults. */
export interface ClientContext {
  readonly url: string;
  readonly entity: string;
  readonly project: string;
  readonly cacheDir: string;
  readonly http: HttpClient;
  readonly cache: BlobCache;
  readonly statCache: StatCache;
  readonly digests: DigestMemo;
  readonly manifests: ManifestCache;
}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

function parseMaxBytes(value: number | string | undefined): number {
  if (value === undefined) return DEFAULT_CACHE_MAX_BYTES;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ValidationError(
      `cache size cap must be a non-negative integer number of bytes, got ${JSON.stringify(value)}`,
      { rule: 'cacheMaxBytes' },
    );
  }
  return n;
}

export function createContext(options: CairnOptions = {}): ClientContext {
  const url = options.url ?? env('CAIRN_URL') ?? DEFAULT_URL;
  try {
    new URL(url);
  } catch {
    throw new ValidationError(`server URL ${JSON.stringify(url)} is not a URL (CAIRN_URL)`, {
      rule: 'url',
    });
  }
  const entity = validateName(
    options.entity ?? env('CAIRN_ENTITY') ?? DEFAULT_ENTITY,
    'entity name',
  );
  const project = validateProjectPath(options.project ?? env('CAIRN_PROJECT') ?? DEFAULT_PROJECT);
  const cacheDir = resolve(
    options.cacheDir ?? env('CAIRN_CACHE_DIR') ?? join(homedir(), '.cache', 'cairn'),
  );
  const maxBytes = parseMaxBytes(options.cacheMaxBytes ?? env('CAIRN_CACHE_MAX_BYTES'));
  return {
    url,
    entity,
    project,
    cacheDir,
    http: new HttpClient(url, options.apiKey ?? env('CAIRN_API_KEY')),
    cache: new BlobCache(cacheDir, maxBytes),
    statCache: new StatCache(cacheDir),
    digests: new DigestMemo(cacheDir),
    manifests: new ManifestCache(cacheDir, url),
  };
}
