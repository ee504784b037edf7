import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Route schemas checked by two Ajv configurations. Query strings and path parameters arrive as
 * text, so `limit=10` must be coerced to a number; a JSON body arrives typed, and coercing it
 * would let `{"entity": 12}` or `{"description": 5}` through as strings (and store them). So
 * bodies are checked without coercion and a wrong JSON type is a VALIDATION error.
 */
const build = AjvCompiler();
const common = { removeAdditional: false, useDefaults: true, allErrors: false } as const;
const coercing = build({}, { customOptions: { ...common, coerceTypes: 'array' } });
const strict = build({}, { customOptions: { ...common, coerceTypes: false } });

export const validatorCompiler: FastifySchemaCompiler<unknown> = (route) =>
  (route.httpPart === 'body' ? strict : coercing)(route as Parameters<typeof strict>[0]);
