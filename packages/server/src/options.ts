import { CairnError, DEFAULT_ACCOUNT, DEFAULT_REGION } from '@cairn/core';

export interface ServerOptions {
  /** Address to bind; default 127.0.0.1. Anything but loopback requires an API key. */
  host?: string;
  /** Port; default 8080, 0 picks a free one. */
  port?: number;
  /** Where the embedded database and blobs live; default ./cairn-data. */
  dataDir?: string;
  /** Bearer token clients must send; default CAIRN_API_KEY. */
  apiKey?: string;
  logger?: boolean;
  /** Region and account used in ARNs. */
  region?: string;
  account?: string;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  dataDir: string;
  apiKey: string | undefined;
  logger: boolean;
  region: string;
  account: string;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export function resolveOptions(o: ServerOptions): ResolvedOptions {
  const apiKey = o.apiKey ?? (process.env['CAIRN_API_KEY'] || undefined);
  const resolved: ResolvedOptions = {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 8080,
    dataDir: o.dataDir ?? './cairn-data',
    apiKey: apiKey === '' ? undefined : apiKey,
    logger: o.logger ?? false,
    region: o.region ?? DEFAULT_REGION,
    account: o.account ?? DEFAULT_ACCOUNT,
  };
  if (!isLoopback(resolved.host) && !resolved.apiKey) {
    throw new CairnError(
      'VALIDATION',
      `refusing to bind ${resolved.host} without an API key: anyone on the network could read and write artifacts. Pass --api-key or set CAIRN_API_KEY, or bind 127.0.0.1`,
    );
  }
  return resolved;
}
