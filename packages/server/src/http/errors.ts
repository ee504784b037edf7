import { CairnError, httpStatusOf, type ErrorBody } from '@cairn/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The one place errors become HTTP answers: CairnErrors by their code's status, framework
 * errors (schema validation, malformed JSON, unsupported media, oversized bodies) as 4xx with a
 * readable message, anything else as a 500 without internals.
 */
export function toCairnError(err: unknown): CairnError {
  if (err instanceof CairnError) return err;
  const e = err as Partial<FastifyError> & { validation?: unknown };
  if (e.validation) {
    return new CairnError('VALIDATION', `invalid request: ${e.message ?? 'schema mismatch'}`, {
      rule: 'schema',
    });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CairnError('PAYLOAD_TOO_LARGE', 'request body is larger than the server accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new CairnError('BAD_REQUEST', e.message ?? 'bad request body');
  }
  if (err instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new CairnError('BAD_REQUEST', `request body is not valid JSON: ${e.message ?? ''}`);
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new CairnError('BAD_REQUEST', e.message ?? 'bad request');
  }
  return new CairnError('INTERNAL', 'internal server error; the server log has the details');
}

/** Long JSON-quoted values in a message (an echoed 1 MiB name) are cut to their first characters. */
const LONG_QUOTED = /"((?:[^"\\]|\\.){120,}?)"(?=[\s,;:)\]}]|$)/g;
const MAX_MESSAGE = 2048;

export function clipMessage(message: string): string {
  const m = message.replace(
    LONG_QUOTED,
    (_, inner: string) => `"${inner.slice(0, 60)}..." (${inner.length} characters)`,
  );
  return m.length > MAX_MESSAGE ? `${m.slice(0, MAX_MESSAGE - 3)}...` : m;
}

function clipped(ce: CairnError): CairnError {
  const message = clipMessage(ce.message);
  return message === ce.message ? ce : new CairnError(ce.code, message, ce.details);
}

/**
 * Errors the router raises before any route or hook runs (Fastify's `frameworkErrors`): a URL
 * whose percent-escapes do not decode, or a path segment longer than the router accepts. Without
 * this, Fastify answers them with its own body, not Cairn's.
 */
export function frameworkErrors(
  err: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const ce =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new CairnError(
          'VALIDATION',
          `a path segment of the URL is longer than ${MAX_PARAM_LENGTH} characters; no id or name is that long`,
          { rule: 'url.length' },
        )
      : err.code === 'FST_ERR_BAD_URL'
        ? new CairnError(
            'BAD_REQUEST',
            'the URL path has a percent-escape that does not decode to UTF-8 (such as %zz, %ff or a lone %)',
            { rule: 'url.encoding' },
          )
        : toCairnError(err);
  void reply.status(httpStatusOf(ce.code)).type('application/json').send(ce.toBody());
}

/** The router's limit on one path parameter (Fastify's `maxParamLength`). */
export const MAX_PARAM_LENGTH = 1024;

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const ce = clipped(toCairnError(err));
    if (ce.code === 'INTERNAL') request.log.error({ err }, 'unhandled error');
    const body: ErrorBody = ce.toBody();
    if (ce.code === 'RANGE_NOT_SATISFIABLE' && typeof ce.details?.['size'] === 'number') {
      void reply.header('content-range', `bytes */${ce.details['size']}`);
    }
    void reply.status(httpStatusOf(ce.code)).type('application/json').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const body = new CairnError(
      'NOT_FOUND',
      `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    ).toBody();
    void reply.status(404).send(body);
  });
}
