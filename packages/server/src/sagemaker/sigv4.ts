import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SageMakerError } from './errors.js';

/**
 * AWS Signature Version 4 verification for the SageMaker face, so boto3 and the AWS SDK work
 * with real credentials: the server recomputes the signature from the request and the secret of
 * the access key the client names, and refuses what does not match with AWS's error codes.
 */
export interface SignedRequest {
  method: string;
  /** Path as sent, before the query string. */
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** How far a request's X-Amz-Date may be from the server's clock, as AWS allows. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

const AUTH_RE =
  /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request\s*,\s*SignedHeaders=([a-z0-9;-]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/;

const sha256Hex = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string): Buffer =>
  createHmac('sha256', key).update(s).digest();

/** Who signed, and for which region (the credential scope). */
export interface Signer {
  accessKeyId: string;
  region: string;
}

/**
 * The signing key depends only on (secret, date, region, service), so it is derived once a day
 * per key instead of with four HMACs per request, as AWS's own SDKs cache it. Small and bounded;
 * keyed by the secret too, so servers in one process that share a key id never mix keys.
 */
const signingKeys = new Map<string, Buffer>();
const MAX_SIGNING_KEYS = 1024;

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}\n${date}\n${region}\n${service}`;
  let key = signingKeys.get(id);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

function encode(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new SageMakerError('SerializationException', `Malformed percent-encoding in ${s}`);
  }
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      const k = decode(i < 0 ? pair : pair.slice(0, i));
      const v = i < 0 ? '' : decode(pair.slice(i + 1).replace(/\+/g, ' '));
      return [encode(k), encode(v)] as const;
    })
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.join(',') : v).trim().replace(/\s+/g, ' ');
}

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/** Returns who signed the request and for which region, or throws AWS's error for why not. */
export function verifySigV4(
  req: SignedRequest,
  secrets: ReadonlyMap<string, string>,
  service: string,
  nowMs: number = Date.now(),
): Signer {
  const auth = headerValue(req.headers['authorization']);
  if (!auth) {
    throw new SageMakerError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const m = AUTH_RE.exec(auth);
  if (!m) {
    throw new SageMakerError(
      'IncompleteSignatureException',
      "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters of the AWS4-HMAC-SHA256 scheme",
    );
  }
  const [, keyId = '', date = '', region = '', scopeService = '', signedList = '', signature = ''] =
    m;
  const amzDate = headerValue(req.headers['x-amz-date']);
  const at = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || at === undefined) {
    throw new SageMakerError(
      'IncompleteSignatureException',
      'Authorization requires an X-Amz-Date header of the form YYYYMMDDTHHMMSSZ',
    );
  }
  const signed = signedList.split(';');
  if (!signed.includes('host')) {
    throw new SageMakerError('IncompleteSignatureException', "SignedHeaders must include 'host'");
  }
  if (scopeService !== service || date !== amzDate.slice(0, 8)) {
    throw new SageMakerError(
      'InvalidSignatureException',
      `Credential should be scoped to a valid date and service: ${date}/${region}/${scopeService}, expected ${amzDate.slice(0, 8)}/<region>/${service}`,
    );
  }
  const secret = secrets.get(keyId);
  if (secret === undefined) {
    throw new SageMakerError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }
  if (Math.abs(nowMs - at) > MAX_SKEW_MS) {
    throw new SageMakerError(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${new Date(nowMs - MAX_SKEW_MS).toISOString()} (current time minus 15 min.)`,
    );
  }
  // The payload hash: x-amz-content-sha256 when the client sent one (it must be the body's),
  // else computed from the body.
  const bodyHash = sha256Hex(req.body);
  const claimed = headerValue(req.headers['x-amz-content-sha256']);
  if (claimed !== undefined && claimed !== bodyHash) {
    throw new SageMakerError(
      'InvalidSignatureException',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  let canonicalHeaders = '';
  for (const h of signed) canonicalHeaders += `${h}:${headerValue(req.headers[h]) ?? ''}\n`;
  const canonicalPath =
    req.path === '/'
      ? '/'
      : req.path
          .split('/')
          .map((s) => encode(decode(s)))
          .join('/') || '/';
  const canonical = [
    req.method.toUpperCase(),
    canonicalPath,
    canonicalQuery(req.query),
    canonicalHeaders,
    signedList,
    bodyHash,
  ].join('\n');
  const scope = `${date}/${region}/${scopeService}/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
  const key = signingKey(secret, date, region, scopeService);
  const expected = createHmac('sha256', key).update(toSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    throw new SageMakerError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return { accessKeyId: keyId, region };
}
