import { CairnError, DEFAULT_ACCOUNT, DEFAULT_REGION } from '@cairn/core';
import { parseS3Location, type S3Location } from './store/blob/s3-location.js';

export interface ServerOptions {
  /** Address to bind; default 127.0.0.1. Anything but loopback requires an API key. */
  host?: string;
  /** Port; default 8080, 0 picks a free one. */
  port?: number;
  /** Where the embedded database and blobs live; default ./cairn-data. */
  dataDir?: string;
  /**
   * Metadata database: `postgres://…` for PostgreSQL; default CAIRN_DATABASE_URL, else SQLite
   * in the data directory.
   */
  databaseUrl?: string;
  /** Bearer token clients must send; default CAIRN_API_KEY. */
  apiKey?: string;
  /**
   * AWS-style access keys (id → secret) for SigV4-signed SageMaker requests; their secrets are
   * also accepted as bearer tokens by the native API. Default CAIRN_ACCESS_KEYS (`id:secret,…`).
   * With an API key set, it also signs as access key id `cairn`.
   */
  accessKeys?: Record<string, string>;
  logger?: boolean;
  /**
   * A running run with no heartbeat for this long is marked crashed; default
   * CAIRN_HEARTBEAT_TIMEOUT_MS, else 5 minutes.
   */
  heartbeatTimeoutMs?: number;
  /**
   * Per-account quotas of the SageMaker face (artifacts, contexts, actions, associations);
   * AWS's defaults when absent. Default CAIRN_SAGEMAKER_LIMITS, a JSON object.
   */
  sagemakerLimits?: Partial<Record<SageMakerQuota, number>>;
  /**
   * Milliseconds between garbage collections (0 = only on demand); default
   * CAIRN_GC_INTERVAL_MS, else 6 hours.
   */
  gcIntervalMs?: number;
  /**
   * Region and account used in ARNs. Given a region (or CAIRN_REGION), the SageMaker face serves
   * only it and refuses requests signed for another, as an AWS endpoint does; without one it
   * answers each client in the region it signed for (ARNs stored in us-east-1).
   */
  region?: string;
  account?: string;
  /**
   * Blob bytes in an S3-compatible bucket: `s3://bucket/prefix`; default CAIRN_BLOBS_URL, else
   * the data directory. The s3* options (or CAIRN_S3_*) say how to reach it; credentials come
   * from the AWS SDK's default chain (AWS_ACCESS_KEY_ID…, ~/.aws, instance roles).
   */
  blobsUrl?: string;
  /** Custom S3 endpoint (MinIO, R2, …); default CAIRN_S3_ENDPOINT, else AWS. */
  s3Endpoint?: string;
  /** Endpoint put into presigned URLs for clients; default CAIRN_S3_PUBLIC_ENDPOINT, else s3Endpoint. */
  s3PublicEndpoint?: string;
  /** Default CAIRN_S3_REGION, else AWS_REGION, else us-east-1. */
  s3Region?: string;
  /** Path-style addressing (MinIO and most self-hosted stores); default CAIRN_S3_FORCE_PATH_STYLE. */
  s3ForcePathStyle?: boolean;
  /** Clients move bytes straight to and from the bucket (presigned URLs); default true (CAIRN_S3_DIRECT). */
  s3Direct?: boolean;
  /**
   * The built web UI (`@cairn/web`'s static files) to serve at `/`; none = no UI. The server
   * only serves the files: the UI talks to the REST API like any other client.
   */
  uiDir?: string;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  apiKey: string | undefined;
  accessKeys: Map<string, string>;
  logger: boolean;
  heartbeatTimeoutMs: number;
  sagemakerLimits: Partial<Record<SageMakerQuota, number>>;
  gcIntervalMs: number;
  region: string;
  /** A region was configured: requests signed for other regions are refused. */
  regionPinned: boolean;
  account: string;
  /** The bucket holding blobs, or undefined for the data directory. */
  s3: S3Location | undefined;
  uiDir: string | undefined;
}

function resolveS3(o: ServerOptions): S3Location | undefined {
  const url = o.blobsUrl ?? process.env['CAIRN_BLOBS_URL'];
  if (url === undefined || url === '') return undefined;
  const env = (name: string): string | undefined => process.env[name] || undefined;
  return parseS3Location(url, {
    endpoint: o.s3Endpoint ?? env('CAIRN_S3_ENDPOINT'),
    publicEndpoint: o.s3PublicEndpoint ?? env('CAIRN_S3_PUBLIC_ENDPOINT'),
    region: o.s3Region ?? env('CAIRN_S3_REGION'),
    forcePathStyle: o.s3ForcePathStyle ?? env('CAIRN_S3_FORCE_PATH_STYLE'),
    direct: o.s3Direct ?? env('CAIRN_S3_DIRECT'),
  });
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** `id:secret,id2:secret2` → { id: secret, … }; anything malformed is a clear error. */
function parseDatabaseUrl(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new CairnError(
      'VALIDATION',
      `--database must be a postgres:// URL (SQLite in the data directory is the default), got ${JSON.stringify(url.split('@').pop())}`,
    );
  }
  return url;
}

function parseInterval(value: number | string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new CairnError(
      'VALIDATION',
      `garbage collection interval must be a whole number of milliseconds, 0 to disable (CAIRN_GC_INTERVAL_MS), got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

export type SageMakerQuota = 'artifacts' | 'contexts' | 'actions' | 'associations';
const QUOTAS: readonly SageMakerQuota[] = ['artifacts', 'contexts', 'actions', 'associations'];

/** `{"artifacts": 1000}` → checked quotas; unknown names or non-positive counts are an error. */
export function parseSageMakerLimits(
  value: Partial<Record<string, unknown>> | string | undefined,
): Partial<Record<SageMakerQuota, number>> {
  if (value === undefined || value === '') return {};
  let obj: unknown = value;
  if (typeof value === 'string') {
    try {
      obj = JSON.parse(value);
    } catch {
      obj = undefined;
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new CairnError(
      'VALIDATION',
      'SageMaker limits must be a JSON object such as {"artifacts": 1000} (CAIRN_SAGEMAKER_LIMITS)',
    );
  }
  const out: Partial<Record<SageMakerQuota, number>> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (!(QUOTAS as readonly string[]).includes(k)) {
      throw new CairnError(
        'VALIDATION',
        `unknown SageMaker quota ${JSON.stringify(k)}; known: ${QUOTAS.join(', ')}`,
      );
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new CairnError(
        'VALIDATION',
        `SageMaker quota ${k} must be a positive whole number, got ${JSON.stringify(v)}`,
      );
    }
    out[k as SageMakerQuota] = v;
  }
  return out;
}

export function parseAccessKeys(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const i = pair.indexOf(':');
    if (i <= 0 || i === pair.length - 1) {
      throw new CairnError('VALIDATION', 'CAIRN_ACCESS_KEYS must look like id:secret,id2:secret2');
    }
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

function parseTimeout(value: number | string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new CairnError(
      'VALIDATION',
      `heartbeat timeout must be a positive whole number of milliseconds (CAIRN_HEARTBEAT_TIMEOUT_MS), got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

export function resolveOptions(o: ServerOptions): ResolvedOptions {
  const apiKey = o.apiKey ?? (process.env['CAIRN_API_KEY'] || undefined);
  const accessKeys = new Map(
    Object.entries(o.accessKeys ?? parseAccessKeys(process.env['CAIRN_ACCESS_KEYS'])),
  );
  if (apiKey && !accessKeys.has('cairn')) accessKeys.set('cairn', apiKey);
  const resolved: ResolvedOptions = {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 8080,
    dataDir: o.dataDir ?? './cairn-data',
    databaseUrl: parseDatabaseUrl(o.databaseUrl ?? process.env['CAIRN_DATABASE_URL']),
    apiKey: apiKey === '' ? undefined : apiKey,
    accessKeys,
    logger: o.logger ?? false,
    heartbeatTimeoutMs: parseTimeout(
      o.heartbeatTimeoutMs ?? process.env['CAIRN_HEARTBEAT_TIMEOUT_MS'] ?? 5 * 60 * 1000,
    ),
    sagemakerLimits: parseSageMakerLimits(
      o.sagemakerLimits ?? process.env['CAIRN_SAGEMAKER_LIMITS'],
    ),
    gcIntervalMs: parseInterval(
      o.gcIntervalMs ?? process.env['CAIRN_GC_INTERVAL_MS'] ?? 6 * 3600 * 1000,
    ),
    region: o.region ?? (process.env['CAIRN_REGION'] || DEFAULT_REGION),
    regionPinned: (o.region ?? (process.env['CAIRN_REGION'] || undefined)) !== undefined,
    account: o.account ?? DEFAULT_ACCOUNT,
    s3: resolveS3(o),
    uiDir: o.uiDir,
  };
  if (!isLoopback(resolved.host) && !resolved.apiKey && resolved.accessKeys.size === 0) {
    throw new CairnError(
      'VALIDATION',
      `refusing to bind ${resolved.host} without an API key: anyone on the network could read and write artifacts. Pass --api-key or set CAIRN_API_KEY, or bind 127.0.0.1`,
    );
  }
  return resolved;
}
