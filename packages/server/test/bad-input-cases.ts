/**
 * Malformed requests generated from the server's own OpenAPI document, so a new route is swept
 * as soon as it is registered. Each case is one request; bad-input.test.ts sends them all and
 * checks the answers.
 */

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  minimum?: number;
  additionalProperties?: boolean | Schema;
  patternProperties?: Record<string, Schema>;
}

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
}

export interface Case {
  /** What is wrong with the request, for the failure list. */
  label: string;
  method: string;
  /** Path after the origin, already encoded (it may hold deliberately broken escapes). */
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export const MiB_STRING = 'n'.repeat(1024 * 1024);

/** Strings that are odd in names, paths and ids. Already-encoded forms go to URLs verbatim. */
export const ODD_STRINGS: Record<string, string> = {
  nul: 'a\u0000b',
  'lone surrogate': 'a\ud800b',
  'rtl mark': '\u202eevil\u200f',
  dotdot: '..',
  slash: 'a/b',
  'percent dotdot': '%2e%2e',
  'dotdot slash': '../../etc/passwd',
  empty: '',
  spaces: '   ',
  'long (8 KiB)': 'x'.repeat(8 * 1024),
  emoji: '\u{1F600}',
  backslash: 'a\\b',
  newline: 'a\nb',
};

/** Query/path values that are not a good number (limits, cursors, depths, vN). */
export const ODD_NUMBERS = [
  '-1',
  '0',
  '0.5',
  '1e309',
  '99999999999999999999999',
  'NaN',
  'abc',
  '',
  '0x10',
  '--1',
];

/** Raw URL escapes a client could send on purpose: invalid UTF-8, NUL, encoded traversal. */
export const ODD_URL_ESCAPES = ['%ff', '%ED%A0%80', '%00', '%2e%2e', '%2e%2e%2f%2e%2e', '%', '%zz'];

/** Plausible values by name, for the parts of a request a case is not breaking. */
function baseline(name: string, s: Schema | undefined): unknown {
  const byName: Record<string, unknown> = {
    entity: 'nobody',
    project: 'nowhere',
    collection: 'nothing',
    name: 'nothing',
    type: 'dataset',
    ref: 'nobody/nowhere/nothing:v0',
    id: '00000000-0000-4000-8000-000000000000',
    sha256: '0'.repeat(64),
    path: 'nowhere',
    direction: 'up',
  };
  if (s?.type === 'string' && name in byName) return byName[name];
  return example(s);
}

/** A value that satisfies the shape of a schema (not necessarily Cairn's content rules). */
export function example(s: Schema | undefined): unknown {
  if (!s) return 'x';
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  const alt = s.anyOf ?? s.oneOf;
  if (alt?.[0]) return example(alt[0]);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    case 'integer':
    case 'number':
      return Math.max(1, s.minimum ?? 1);
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'null':
      return null;
    case 'object':
    case undefined: {
      if (!s.properties) return type === 'object' ? {} : 'x';
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties)) out[k] = baseline(k, v);
      return out;
    }
    default:
      return 'x';
  }
}

/** JSON values of every type, labelled; each is wrong for most fields. */
const WRONG_TYPES: Record<string, unknown> = {
  number: 12345,
  float: -0.5,
  string: 'not-the-right-type',
  boolean: false,
  null: null,
  array: [1, 'two', { three: 3 }],
  object: { nested: { deeper: [] } },
};

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => params[k] ?? 'x');
}

function qs(q: Record<string, string | string[]>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${k}=${one}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Every generated case for one operation of the document. */
function casesFor(path: string, method: string, op: Operation): Case[] {
  const M = method.toUpperCase();
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const goodPath: Record<string, string> = {};
  for (const p of pathParams)
    goodPath[p.name] = encodeURIComponent(String(baseline(p.name, p.schema ?? { type: 'string' })));
  const goodQuery: Record<string, string> = {};
  for (const p of queryParams) {
    if (p.required)
      goodQuery[p.name] = encodeURIComponent(
        String(baseline(p.name, p.schema ?? { type: 'string' })),
      );
  }
  const jsonSchema = op.requestBody?.content['application/json']?.schema;
  const goodBody = jsonSchema ? example(jsonSchema) : undefined;
  const json = { 'content-type': 'application/json' };
  const out: Case[] = [];
  const add = (
    label: string,
    p: Record<string, string>,
    q: Record<string, string | string[]>,
    body: unknown = goodBody,
    headers: Record<string, string> = jsonSchema ? json : {},
    raw?: string | Buffer,
  ): void => {
    out.push({
      label: `${M} ${path}: ${label}`,
      method: M,
      url: `/api/v1${fill(path, p).replace(/^\/api\/v1/, '')}${qs(q)}`,
      headers,
      ...(raw !== undefined
        ? { body: raw }
        : body !== undefined
          ? { body: JSON.stringify(body) }
          : {}),
    });
  };

  add('baseline with unknown names', goodPath, goodQuery);
  for (const p of pathParams) {
    for (const [what, v] of Object.entries(ODD_STRINGS)) {
      if (v === '') continue; // an empty segment is another route, not this one
      add(
        `path ${p.name} ${what}`,
        { ...goodPath, [p.name]: encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '')) || 'x' },
        goodQuery,
      );
    }
    for (const esc of ODD_URL_ESCAPES)
      add(`path ${p.name} = ${esc}`, { ...goodPath, [p.name]: esc }, goodQuery);
    for (const n of ODD_NUMBERS)
      if (n)
        add(`path ${p.name} = ${n}`, { ...goodPath, [p.name]: encodeURIComponent(n) }, goodQuery);
  }
  for (const p of queryParams) {
    for (const [what, v] of Object.entries(ODD_STRINGS)) {
      add(`query ${p.name} ${what}`, goodPath, {
        ...goodQuery,
        [p.name]: encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd')),
      });
    }
    for (const esc of ODD_URL_ESCAPES)
      add(`query ${p.name} = ${esc}`, goodPath, { ...goodQuery, [p.name]: esc });
    for (const n of ODD_NUMBERS)
      add(`query ${p.name} = ${n}`, goodPath, { ...goodQuery, [p.name]: encodeURIComponent(n) });
    add(`query ${p.name} repeated`, goodPath, { ...goodQuery, [p.name]: ['1', '2'] });
    if (p.required) {
      const rest = { ...goodQuery };
      delete rest[p.name];
      add(`query ${p.name} missing`, goodPath, rest);
    }
  }
  if (jsonSchema) {
    const body = (goodBody ?? {}) as Record<string, unknown>;
    for (const [name, v] of Object.entries(WRONG_TYPES))
      add(`body is ${name}`, goodPath, goodQuery, v);
    add('malformed JSON', goodPath, goodQuery, undefined, json, '{"entity": "a",');
    add('JSON with trailing garbage', goodPath, goodQuery, undefined, json, '{} {}');
    add('empty body, JSON content type', goodPath, goodQuery, undefined, json, '');
    add('no content type', goodPath, goodQuery, undefined, {}, JSON.stringify(body));
    add(
      'text/plain content type',
      goodPath,
      goodQuery,
      undefined,
      { 'content-type': 'text/plain' },
      JSON.stringify(body),
    );
    add(
      'form content type',
      goodPath,
      goodQuery,
      undefined,
      { 'content-type': 'application/x-www-form-urlencoded' },
      'a=1&b=2',
    );
    add(
      'bogus content type',
      goodPath,
      goodQuery,
      undefined,
      { 'content-type': '\u0001;;;'.replace(/\u0001/, 'x/y') },
      '{}',
    );
    add('unknown extra field', goodPath, goodQuery, {
      ...body,
      surprise: MiB_STRING.slice(0, 1000),
    });
    add(
      'deeply nested JSON',
      goodPath,
      goodQuery,
      undefined,
      json,
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
    );
    for (const [prop, ps] of Object.entries(jsonSchema.properties ?? {})) {
      for (const [name, v] of Object.entries(WRONG_TYPES)) {
        add(`body.${prop} is ${name}`, goodPath, goodQuery, { ...body, [prop]: v });
      }
      add(`body.${prop} is a 1 MiB string`, goodPath, goodQuery, { ...body, [prop]: MiB_STRING });
      for (const [what, v] of Object.entries(ODD_STRINGS)) {
        add(`body.${prop} is ${what}`, goodPath, goodQuery, { ...body, [prop]: v });
      }
      if (ps.type === 'array') {
        add(`body.${prop} holds odd items`, goodPath, goodQuery, {
          ...body,
          [prop]: [null, 1, 'x', {}, [], MiB_STRING.slice(0, 10000)],
        });
        add(`body.${prop} holds 100k items`, goodPath, goodQuery, {
          ...body,
          [prop]: Array.from({ length: 100_000 }, (_, i) => `i${i}`),
        });
      }
      if (ps.type === 'integer' || ps.type === 'number') {
        for (const n of [-1, 0.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2]) {
          add(`body.${prop} = ${n}`, goodPath, goodQuery, { ...body, [prop]: n });
        }
      }
      if ((jsonSchema.required ?? []).includes(prop)) {
        const rest = { ...body };
        delete rest[prop];
        add(`body.${prop} missing`, goodPath, goodQuery, rest);
      }
    }
  }
  return out;
}

export function casesFromOpenApi(doc: OpenApiDoc): Case[] {
  const out: Case[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'put', 'post', 'patch', 'delete'].includes(method)) continue;
      out.push(...casesFor(path, method, op));
    }
  }
  return out;
}
