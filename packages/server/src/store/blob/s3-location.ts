import { CairnError } from '@cairn/core';

/** Where blobs live on S3 and how to reach it. Credentials come from the AWS SDK's chain. */
export interface S3Location {
  bucket: string;
  /** Key prefix without slashes at either end; '' for the bucket's root. */
  prefix: string;
  region: string;
  /** Custom endpoint (MinIO, R2, s3rver, …); AWS's own when absent. */
  endpoint: string | undefined;
  /** Endpoint written into presigned URLs, when clients reach the store by another address. */
  publicEndpoint: string | undefined;
  /** `endpoint/bucket/key` instead of `bucket.endpoint/key` (MinIO and most self-hosted stores). */
  forcePathStyle: boolean;
  /** Whether SDK clients move bytes to and from the store themselves (presigned URLs). */
  direct: boolean;
}

export interface S3Flags {
  endpoint?: string | undefined;
  publicEndpoint?: string | undefined;
  region?: string | undefined;
  forcePathStyle?: boolean | string | undefined;
  direct?: boolean | string | undefined;
}

function flag(value: boolean | string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new CairnError('VALIDATION', `${name} must be true or false, got ${JSON.stringify(value)}`);
}

function endpointOf(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    u = new URL('invalid:');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new CairnError(
      'VALIDATION',
      `${name} must be an http:// or https:// URL such as http://127.0.0.1:9000, got ${JSON.stringify(value)}`,
    );
  }
  return value.replace(/\/+$/, '');
}

/**
 * `s3://bucket/some/prefix` plus the S3 flags → a location. Bucket names follow S3's rules
 * (3–63 of a-z, 0-9, `.` and `-`), so a typo fails at startup, not at the first upload.
 */
export function parseS3Location(url: string, flags: S3Flags = {}): S3Location {
  const m = /^s3:\/\/([^/?#]+)(\/[^?#]*)?$/.exec(url);
  const bucket = m?.[1] ?? '';
  if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new CairnError(
      'VALIDATION',
      `--blobs must be s3://BUCKET[/PREFIX] with an S3 bucket name (3-63 of a-z, 0-9, '.', '-'), got ${JSON.stringify(url)}; endpoint, region and path style are separate options (--s3-endpoint, --s3-region, --s3-force-path-style)`,
    );
  }
  const prefix = (m[2] ?? '').split('/').filter(Boolean);
  if (prefix.some((p) => p === '.' || p === '..' || !/^[A-Za-z0-9._-]+$/.test(p))) {
    throw new CairnError(
      'VALIDATION',
      `the key prefix of --blobs may hold only letters, digits, '.', '_' and '-' between slashes, got ${JSON.stringify(m[2])}`,
    );
  }
  return {
    bucket,
    prefix: prefix.join('/'),
    region:
      flags.region || process.env['AWS_REGION'] || process.env['AWS_DEFAULT_REGION'] || 'us-east-1',
    endpoint: endpointOf(flags.endpoint, '--s3-endpoint'),
    publicEndpoint: endpointOf(flags.publicEndpoint, '--s3-public-endpoint'),
    forcePathStyle: flag(flags.forcePathStyle, '--s3-force-path-style', false),
    direct: flag(flags.direct, '--s3-direct', true),
  };
}
