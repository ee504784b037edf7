import { ValidationError } from './errors.js';

/**
 * The naming rules users meet first. Each check throws a ValidationError whose message names the
 * rule, the offending value and the limit, so a 400 from the server is enough to fix the input.
 */

export const MAX_NAME_LENGTH = 128;
export const MAX_TYPE_LENGTH = 128;
export const MAX_ALIAS_LENGTH = 128;
export const MAX_TAG_LENGTH = 128;
export const MAX_METADATA_KEYS = 100;
/**
 * Metadata is returned with every version it belongs to (lists, lineage, the SageMaker face), so
 * it is bounded: 1 MiB of JSON. Bulk data belongs in the artifact's files.
 */
export const MAX_METADATA_BYTES = 1 << 20;
export const MAX_DESCRIPTION_LENGTH = 65_536;

const NAME_RE = /^[A-Za-z0-9_.-]+$/;
// W&B's tag rule `^[-\w]+( +[-\w]+)*$`, with \w widened to Unicode as in Python.
const TAG_RE = /^[-\p{L}\p{N}_]+( +[-\p{L}\p{N}_]+)*$/u;
const MANAGED_ALIAS_RE = /^(latest|v\d+)$/;

function show(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function requireString(what: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new ValidationError(`${what} must be a string, got ${show(value)}`, { rule: 'type' });
  }
  return value;
}

// NUL and other C0/C1 controls (tab, newline and carriage return aside) and unpaired UTF-16
// surrogates: PostgreSQL text cannot hold NUL, and a lone surrogate has no UTF-8 form, so either
// would fail (or be silently replaced) in storage instead of being refused here.
const CONTROL_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Refuses control characters and lone surrogates in free text; `lines` allows \t \n \r. */
export function requirePlainText(what: string, value: string, lines = false): string {
  const bad = lines ? CONTROL_RE : /[\u0000-\u001f\u007f-\u009f]/;
  if (bad.test(value)) {
    throw new ValidationError(`${what} ${show(value)} contains a control character`, {
      rule: 'text.control',
    });
  }
  if (LONE_SURROGATE_RE.test(value)) {
    throw new ValidationError(`${what} ${show(value)} contains an unpaired UTF-16 surrogate`, {
      rule: 'text.surrogate',
    });
  }
  return value;
}

/** Artifact (collection) and project-segment names: letters, digits, `_`, `-`, `.`; 1–128. */
export function validateName(value: unknown, what = 'artifact name'): string {
  const name = requireString(what, value);
  if (name.length === 0) throw new ValidationError(`${what} must not be empty`, { rule: 'name' });
  if (name.length > MAX_NAME_LENGTH) {
    throw new ValidationError(
      `${what} ${show(name)} is ${name.length} characters long; the limit is ${MAX_NAME_LENGTH}`,
      { rule: 'name.length' },
    );
  }
  if (!NAME_RE.test(name)) {
    throw new ValidationError(
      `${what} ${show(name)} may contain only letters, digits, '_', '-' and '.'`,
      { rule: 'name.characters' },
    );
  }
  if (name === '.' || name === '..') {
    throw new ValidationError(`${what} must not be '.' or '..'`, { rule: 'name.characters' });
  }
  return name;
}

/** Artifact types (`dataset`, `model`, …): any characters but `/` and `:`; 1–128. */
export function validateType(value: unknown): string {
  const type = requirePlainText('artifact type', requireString('artifact type', value));
  if (type.length === 0) {
    throw new ValidationError('artifact type must not be empty', { rule: 'type' });
  }
  if (type.length > MAX_TYPE_LENGTH) {
    throw new ValidationError(
      `artifact type ${show(type)} is ${type.length} characters long; the limit is ${MAX_TYPE_LENGTH}`,
      { rule: 'type.length' },
    );
  }
  if (/[/:]/.test(type)) {
    throw new ValidationError(`artifact type ${show(type)} must not contain '/' or ':'`, {
      rule: 'type.characters',
    });
  }
  return type;
}

export function isManagedAlias(alias: string): boolean {
  return MANAGED_ALIAS_RE.test(alias);
}

/**
 * User aliases: no `/` or `:`, 1–128 characters. `latest` and `vN` belong to the server; pass
 * `allowManaged` where a user may name them (resolving a ref, not assigning an alias).
 */
export function validateAlias(value: unknown, allowManaged = false): string {
  const alias = requirePlainText('alias', requireString('alias', value));
  if (alias.length === 0) throw new ValidationError('alias must not be empty', { rule: 'alias' });
  if (alias.length > MAX_ALIAS_LENGTH) {
    throw new ValidationError(
      `alias ${show(alias)} is ${alias.length} characters long; the limit is ${MAX_ALIAS_LENGTH}`,
      { rule: 'alias.length' },
    );
  }
  if (/[/:]/.test(alias)) {
    throw new ValidationError(`alias ${show(alias)} must not contain '/' or ':'`, {
      rule: 'alias.characters',
    });
  }
  if (!allowManaged && isManagedAlias(alias)) {
    throw new ValidationError(
      `alias ${show(alias)} is managed by the server ('latest' and 'v<N>' cannot be assigned)`,
      { rule: 'alias.managed' },
    );
  }
  return alias;
}

/** Tags: words of letters, digits, `_` and `-`, separated by single spaces (W&B's rule). */
export function validateTag(value: unknown): string {
  const tag = requireString('tag', value);
  if (tag.length > MAX_TAG_LENGTH) {
    throw new ValidationError(
      `tag ${show(tag)} is ${tag.length} characters long; the limit is ${MAX_TAG_LENGTH}`,
      { rule: 'tag.length' },
    );
  }
  if (!TAG_RE.test(tag)) {
    throw new ValidationError(
      `tag ${show(tag)} must match ^[-\\w]+( +[-\\w]+)*$ (words of letters, digits, '_' and '-' separated by spaces)`,
      { rule: 'tag.characters' },
    );
  }
  return tag;
}

export function validateAliases(values: unknown): string[] {
  if (!Array.isArray(values)) throw new ValidationError('aliases must be a list of strings');
  return [...new Set(values.map((a) => validateAlias(a)))];
}

export function validateTags(values: unknown): string[] {
  if (!Array.isArray(values)) throw new ValidationError('tags must be a list of strings');
  return [...new Set(values.map((t) => validateTag(t)))];
}

export function validateDescription(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const d = requirePlainText('description', requireString('description', value), true);
  if (d.length > MAX_DESCRIPTION_LENGTH) {
    throw new ValidationError(
      `description is ${d.length} characters long; the limit is ${MAX_DESCRIPTION_LENGTH}`,
      { rule: 'description.length' },
    );
  }
  return d;
}

function checkJsonValue(value: unknown, at: string, depth: number): void {
  if (depth > 64) {
    throw new ValidationError(`metadata is nested deeper than 64 levels at ${at}`, {
      rule: 'metadata.depth',
    });
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new ValidationError(
        `metadata value at ${at} is ${String(value)}; NaN and ±Infinity are not JSON`,
        { rule: 'metadata.number', key: at },
      );
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJsonValue(v, `${at}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new ValidationError(
        `metadata value at ${at} is a ${(value as object).constructor?.name ?? 'object'}; only plain JSON values are allowed`,
        { rule: 'metadata.json', key: at },
      );
    }
    for (const [k, v] of Object.entries(value)) checkJsonValue(v, `${at}.${k}`, depth + 1);
    return;
  }
  throw new ValidationError(
    `metadata value at ${at} is a ${typeof value}; only JSON values are allowed`,
    { rule: 'metadata.json', key: at },
  );
}

/** Metadata: a JSON object of at most 100 top-level keys; JSON values only (no NaN, ±Infinity). */
export function validateMetadata(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(`metadata must be a JSON object, got ${show(value)}`, {
      rule: 'metadata.object',
    });
  }
  const keys = Object.keys(value);
  if (keys.length > MAX_METADATA_KEYS) {
    throw new ValidationError(
      `metadata has ${keys.length} keys; the limit is ${MAX_METADATA_KEYS}`,
      { rule: 'metadata.keys' },
    );
  }
  for (const k of keys) checkJsonValue((value as Record<string, unknown>)[k], k, 1);
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > MAX_METADATA_BYTES) {
    throw new ValidationError(
      `metadata is ${bytes} bytes as JSON; the limit is ${MAX_METADATA_BYTES} (1 MiB): keep bulk data in the artifact's files`,
      { rule: 'metadata.size' },
    );
  }
  return value as Record<string, unknown>;
}

/** A hundred years: longer than any artifact needs, short enough to stay a safe integer date. */
export const MAX_TTL_MS = 100 * 365 * 24 * 3600 * 1000;

/**
 * A time to live in milliseconds: a positive whole number up to a hundred years, null for
 * "never", or (where `allowInherit`) 'inherit' for the project's default.
 */
export function validateTtl(value: unknown, allowInherit = true): number | null | 'inherit' {
  if (value === null) return null;
  if (value === 'inherit' && allowInherit) return 'inherit';
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < 1 ||
    value > MAX_TTL_MS
  ) {
    throw new ValidationError(
      `ttl must be a whole number of milliseconds from 1 to ${MAX_TTL_MS} (100 years), null for never${allowInherit ? " or 'inherit'" : ''}; got ${show(value)}`,
      { rule: 'ttl' },
    );
  }
  return value;
}
