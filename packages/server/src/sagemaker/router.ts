import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/meta/schema.js';
import { DEFAULT_LIMITS, type OperationContext, type SageMakerLimits } from './context.js';
import { SageMakerError } from './errors.js';
import { model } from './model.js';
import { operations } from './operations/index.js';
import { SageMakerStore, type SageMakerDb } from './store.js';
import { verifySigV4 } from './sigv4.js';
import { arnsIn, arnsOut, requestRegion, scopeRegion, type RegionPolicy } from './region.js';
import { validateInput } from './validate.js';

export interface SageMakerOptions {
  db: Kysely<Database>;
  region: string;
  account: string;
  /** Refuse requests signed for another region (see region.ts); default false. */
  regionPinned?: boolean;
  limits?: Partial<SageMakerLimits>;
  /** Largest request body accepted; default 1 MiB (the biggest valid input is far smaller). */
  bodyLimit?: number;
  /**
   * Access key id → secret. When any are configured every request must carry a valid SigV4
   * signature by one of them; with none (only allowed on loopback) requests are accepted
   * unsigned or signed with any key, as local emulators do.
   */
  accessKeys?: ReadonlyMap<string, string>;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
// The 1.0 flavour and plain JSON carry the same bodies; some hand-written clients send them.
const ACCEPTED_TYPES = new Set([CONTENT_TYPE, 'application/x-amz-json-1.0', 'application/json']);
const TARGET_PREFIX = `${model.metadata.targetPrefix}.`;

/** The region each request was answered in, for ARNs in its error messages. */
const answeredIn = new WeakMap<object, string>();

function send(reply: FastifyReply, status: number, body: unknown, errorType?: string) {
  void reply
    .status(status)
    .header('content-type', CONTENT_TYPE)
    .header('x-amzn-RequestId', randomUUID());
  if (errorType) void reply.header('x-amzn-ErrorType', errorType);
  // A Buffer keeps Fastify from appending `; charset=utf-8`, which AWS never sends.
  return reply.send(Buffer.from(JSON.stringify(body)));
}

/** Framework errors (body too large, bad content length) in AWS's error shape, never a 5xx. */
function toSageMakerError(err: unknown): SageMakerError | undefined {
  if (err instanceof SageMakerError) return err;
  const e = err as Partial<FastifyError>;
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new SageMakerError(
      'RequestEntityTooLargeException',
      'Request body is larger than the server accepts',
    );
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new SageMakerError('SerializationException', e.message ?? 'Malformed request');
  }
  return undefined;
}

function parseBody(raw: unknown): Record<string, unknown> {
  const text = typeof raw === 'string' ? raw : '';
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new SageMakerError(
      'SerializationException',
      `Request body is not valid JSON: ${(err as Error).message}`,
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SageMakerError('SerializationException', 'Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/**
 * The SageMaker JSON face: `POST /` with `X-Amz-Target: SageMaker.<Operation>`. Registered as an
 * encapsulated plugin so its body parser and error shape do not leak into `/api/v1`.
 */
export async function sageMakerRoutes(app: FastifyInstance, o: SageMakerOptions): Promise<void> {
  const base: OperationContext = {
    store: new SageMakerStore(o.db as unknown as SageMakerDb),
    region: o.region,
    account: o.account,
    limits: { ...DEFAULT_LIMITS, ...o.limits },
    nowMs: () => Date.now(),
    identity: null,
    cache: {},
  };
  const policy: RegionPolicy = {
    region: o.region,
    account: o.account,
    pinned: o.regionPinned ?? false,
  };
  const storedPrefix = `arn:aws:sagemaker:${o.region}:${o.account}:`;
  const bodyLimit = o.bodyLimit ?? 1024 * 1024;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, body, done) => {
    done(null, body);
  });
  app.setErrorHandler((err, request, reply) => {
    const e = toSageMakerError(err);
    if (!e) {
      request.log.error({ err }, 'unhandled error in the SageMaker face');
      return send(reply, 500, { __type: 'InternalFailure', message: 'Internal server error' });
    }
    const body = e.toBody();
    const region = answeredIn.get(request);
    if (region !== undefined && region !== o.region) {
      body.message = body.message
        .split(storedPrefix)
        .join(`arn:aws:sagemaker:${region}:${o.account}:`);
    }
    return send(reply, e.status, body, e.code);
  });

  const keys = o.accessKeys ?? new Map<string, string>();
  app.post('/', { bodyLimit, schema: { hide: true } }, async (request, reply) => {
    let identity: string | null = null;
    let signedFor: string | undefined;
    if (keys.size > 0) {
      const q = request.url.indexOf('?');
      const signer = verifySigV4(
        {
          method: request.method,
          path: q < 0 ? request.url : request.url.slice(0, q),
          query: q < 0 ? '' : request.url.slice(q + 1),
          headers: request.headers,
          body: typeof request.body === 'string' ? request.body : '',
        },
        keys,
        'sagemaker',
      );
      identity = signer.accessKeyId;
      signedFor = signer.region;
    } else {
      // Nothing is verified without keys, but the scope still says which region the client uses.
      signedFor = scopeRegion(request.headers.authorization);
    }
    const region = requestRegion(policy, signedFor);
    answeredIn.set(request, region);
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (!type || !ACCEPTED_TYPES.has(type)) {
      throw new SageMakerError(
        'UnsupportedMediaTypeException',
        `Content-Type must be ${CONTENT_TYPE}, not ${type || 'missing'}`,
      );
    }
    const target = request.headers['x-amz-target'];
    const name =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : undefined;
    const handler =
      name !== undefined && Object.hasOwn(operations, name) ? operations[name] : undefined;
    if (!handler || name === undefined) {
      throw new SageMakerError(
        'UnknownOperationException',
        `Unknown operation ${typeof target === 'string' ? target : '(no X-Amz-Target header)'}`,
      );
    }
    const input = parseBody(request.body);
    validateInput(name, input);
    const op = model.operations[name];
    if (op) arnsIn(policy, op.input.shape, input);
    const output = await handler(identity === null ? base : { ...base, identity }, input);
    if (op) arnsOut(policy, region, op.output.shape, output);
    return send(reply, 200, output);
  });
}
