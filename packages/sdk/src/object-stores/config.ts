/**
 * How the SDK reaches object stores for `s3://`, `gs://` and Azure blob references. References
 * are resolved on drafts that have no client yet, so this is process-wide (as the AWS SDK's own
 * environment is): `configureObjectStores()` overrides, else the environment decides.
 */
export interface S3StoreOptions {
  /**
   * An S3-compatible endpoint (MinIO, a local server). Default: what the AWS SDK finds itself,
   * which includes `AWS_ENDPOINT_URL_S3` and `AWS_ENDPOINT_URL`.
   */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which local servers need; default `CAIRN_S3_FORCE_PATH_STYLE`. */
  forcePathStyle?: boolean;
  /** Default `AWS_REGION`, `AWS_DEFAULT_REGION`, else us-east-1 (redirects are followed). */
  region?: string;
  /** Static credentials; default the AWS SDK's usual chain (env, shared files, SSO, IMDS…). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface GcsStoreOptions {
  /** JSON API endpoint; default `STORAGE_EMULATOR_HOST`, else https://storage.googleapis.com. */
  endpoint?: string;
  /** OAuth bearer token; default `CAIRN_GCS_TOKEN`, else `GOOGLE_OAUTH_ACCESS_TOKEN`; none for public buckets. */
  token?: string;
}

export interface AzureStoreOptions {
  /**
   * Where requests for `https://<account>.blob.core.windows.net/...` go instead (an emulator):
   * default the `BlobEndpoint` of `AZURE_STORAGE_CONNECTION_STRING`, else the URL itself.
   */
  blobEndpoint?: string;
  /** Shared Key account and key; default from the connection string or `AZURE_STORAGE_ACCOUNT`/`AZURE_STORAGE_KEY`. */
  accountName?: string;
  accountKey?: string;
  /** A SAS token (`sv=…&sig=…`); default `AZURE_STORAGE_SAS_TOKEN`. */
  sasToken?: string;
  /** An OAuth bearer token for Entra ID; default `AZURE_STORAGE_TOKEN`. */
  token?: string;
}

export interface ObjectStoreOptions {
  s3?: S3StoreOptions;
  gcs?: GcsStoreOptions;
  azure?: AzureStoreOptions;
  /** Objects asked for per listing page (each store caps it, at 1000 for S3). */
  listPageSize?: number;
}

let configured: ObjectStoreOptions = {};
const listeners = new Set<() => void>();

/** Sets (replaces) the process-wide object store options. */
export function configureObjectStores(options: ObjectStoreOptions): void {
  configured = { ...options };
  for (const l of listeners) l();
}

export function objectStoreOptions(): ObjectStoreOptions {
  return configured;
}

/** Called when the options change (clients built from them are dropped). */
export function onObjectStoreConfig(listener: () => void): void {
  listeners.add(listener);
}

export function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

export function listPageSize(max: number): number {
  const n = configured.listPageSize;
  return n !== undefined && Number.isInteger(n) && n > 0 ? Math.min(n, max) : max;
}
