import { CairnError, httpStatusOf, type ErrorBody } from '@cairn/core';
import type { FastifyError, FastifyInstance } from 'fastify';

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

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const ce = toCairnError(err);
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
