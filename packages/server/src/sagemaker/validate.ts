import { SageMakerError } from './errors.js';
import { model, shapeOf, type Shape } from './model.js';

/**
 * A small interpreter over the service model: walks an operation's input shape and checks
 * required members, string lengths and patterns (matched against the whole value), enums,
 * integer ranges and list/map sizes. Wrong JSON types are `SerializationException` (the request
 * could not be deserialized); broken constraints are collected into one `ValidationException`
 * in AWS's wording. Timestamps are normalised in place to epoch seconds. Unknown members are
 * ignored, as AWS does.
 */
export function validateInput(operation: string, input: Record<string, unknown>): void {
  const op = model.operations[operation];
  if (!op) throw new SageMakerError('UnknownOperationException', `unknown operation ${operation}`);
  const problems: string[] = [];
  checkStructure(op.input.shape, input, '', problems);
  if (problems.length > 0) {
    const n = problems.length;
    throw new SageMakerError(
      'ValidationException',
      `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`,
    );
  }
}

const patterns = new Map<string, RegExp>();

function wholeMatch(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) {
    // The model's patterns are Java regexes matched against the whole value; `u` gives
    // \p{L} classes. dotAll so multi-line descriptions pass `.*`.
    re = new RegExp(`^(?:${pattern})$`, 'su');
    patterns.set(pattern, re);
  }
  return re;
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function join(path: string, member: string): string {
  return path === '' ? member : `${path}.${member}`;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  return JSON.stringify(value);
}

function typeError(path: string, expected: string): SageMakerError {
  return new SageMakerError(
    'SerializationException',
    `${path || 'the request body'} must be ${expected}`,
  );
}

function problem(value: unknown, path: string, constraint: string): string {
  return `Value ${show(value)} at '${path}' failed to satisfy constraint: ${constraint}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkStructure(
  shapeName: string,
  value: Record<string, unknown>,
  path: string,
  problems: string[],
): void {
  const shape = shapeOf(shapeName);
  if (shape.type !== 'structure') throw new Error(`${shapeName} is not a structure`);
  for (const req of shape.required ?? []) {
    if (value[req] === undefined || value[req] === null) {
      problems.push(problem(null, join(path, lowerFirst(req)), 'Member must not be null'));
    }
  }
  for (const [name, ref] of Object.entries(shape.members)) {
    const v = value[name];
    if (v === undefined || v === null) continue;
    const normalised = check(ref.shape, v, join(path, lowerFirst(name)), problems);
    if (normalised !== v) value[name] = normalised;
  }
}

/** Checks one value against a shape; returns the value, normalised for timestamps. */
function check(shapeName: string, value: unknown, path: string, problems: string[]): unknown {
  const shape: Shape = shapeOf(shapeName);
  switch (shape.type) {
    case 'structure':
      if (!isObject(value)) throw typeError(path, 'an object');
      checkStructure(shapeName, value, path, problems);
      return value;
    case 'string': {
      if (typeof value !== 'string') throw typeError(path, 'a string');
      for (const c of stringProblems(shape, value)) problems.push(problem(value, path, c));
      return value;
    }
    case 'integer':
    case 'long': {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw typeError(path, 'an integer');
      }
      if (shape.min !== undefined && value < shape.min) {
        problems.push(
          problem(value, path, `Member must have value greater than or equal to ${shape.min}`),
        );
      }
      if (shape.max !== undefined && value > shape.max) {
        problems.push(
          problem(value, path, `Member must have value less than or equal to ${shape.max}`),
        );
      }
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError(path, 'a boolean');
      return value;
    case 'timestamp':
      return toEpochSeconds(value, path);
    case 'list': {
      if (!Array.isArray(value)) throw typeError(path, 'a list');
      sizeProblems(shape, value.length, value, path, problems);
      return value.map((item, i) =>
        check(shape.member.shape, item, `${path}.${i + 1}.member`, problems),
      );
    }
    case 'map': {
      if (!isObject(value)) throw typeError(path, 'a map');
      const entries = Object.entries(value);
      sizeProblems(shape, entries.length, value, path, problems);
      const keyShape = shapeOf(shape.key.shape);
      const valueShape = shapeOf(shape.value.shape);
      for (const [k, v] of entries) {
        if (typeof v !== 'string' && valueShape.type === 'string') {
          throw typeError(`${path}.${k}`, 'a string');
        }
        if (keyShape.type === 'string') {
          const bad = stringProblems(keyShape, k);
          if (bad.length > 0) {
            problems.push(
              problem(value, path, `Map keys must satisfy constraint: [${bad.join(', ')}]`),
            );
          }
        }
        if (valueShape.type === 'string' && typeof v === 'string') {
          const bad = stringProblems(valueShape, v);
          if (bad.length > 0) {
            problems.push(
              problem(value, path, `Map value must satisfy constraint: [${bad.join(', ')}]`),
            );
          }
        }
      }
      return value;
    }
  }
}

function stringProblems(shape: Shape & { type: 'string' }, value: string): string[] {
  const out: string[] = [];
  if (shape.min !== undefined && value.length < shape.min) {
    out.push(`Member must have length greater than or equal to ${shape.min}`);
  }
  if (shape.max !== undefined && value.length > shape.max) {
    out.push(`Member must have length less than or equal to ${shape.max}`);
  }
  if (shape.pattern !== undefined && !wholeMatch(shape.pattern).test(value)) {
    out.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
  }
  if (shape.enum !== undefined && !shape.enum.includes(value)) {
    out.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
  }
  return out;
}

function sizeProblems(
  shape: { min?: number; max?: number },
  size: number,
  value: unknown,
  path: string,
  problems: string[],
): void {
  if (shape.min !== undefined && size < shape.min) {
    problems.push(
      problem(value, path, `Member must have length greater than or equal to ${shape.min}`),
    );
  }
  if (shape.max !== undefined && size > shape.max) {
    problems.push(
      problem(value, path, `Member must have length less than or equal to ${shape.max}`),
    );
  }
}

/** boto3 sends whole epoch seconds, the JS client fractions; ISO strings are accepted too. */
function toEpochSeconds(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const n = value.trim() === '' ? NaN : Number(value);
    if (Number.isFinite(n)) return n;
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms / 1000;
  }
  throw typeError(path, 'a timestamp (epoch seconds)');
}
