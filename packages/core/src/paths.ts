import { PathEscapeError, ValidationError } from './errors.js';

export const MAX_PATH_LENGTH = 4096;

/**
 * Normalizes an entry path to the one form manifests store: POSIX separators, relative, no `.`
 * or empty segments. Anything that could leave the artifact's root (`..`, an absolute or drive
 * path) is refused rather than cleaned, so a hostile manifest cannot write outside a download.
 */
export function normalizeEntryPath(value: unknown): string {
  // Nearly every path that arrives (from a manifest, a listing, the wire) is already normal;
  // one scan says so without the split, filter and join that 10^4 entries would pay for.
  if (typeof value === 'string' && isNormalEntryPath(value)) return value;
  return normalizeSlowly(value);
}

const SLASH = 0x2f;
const DOT = 0x2e;

/** True when `value` is exactly what normalizing it would return (and normalizing would not throw). */
function isNormalEntryPath(value: string): boolean {
  const n = value.length;
  if (n === 0 || n > MAX_PATH_LENGTH) return false;
  // `C:` (a drive) is refused even as the start of a relative name.
  if (n >= 2 && value.charCodeAt(1) === 0x3a && /^[A-Za-z]/.test(value)) return false;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? value.charCodeAt(i) : SLASH;
    if (c === 0 || c === 0x5c) return false; // NUL, backslash
    if (c !== SLASH) continue;
    const len = i - start;
    if (len === 0) return false; // leading, doubled or trailing '/'
    if (
      value.charCodeAt(start) === DOT &&
      (len === 1 || (len === 2 && value.charCodeAt(start + 1) === DOT))
    ) {
      return false; // '.' or '..'
    }
    start = i + 1;
  }
  return true;
}

function normalizeSlowly(value: unknown): string {
  if (typeof value !== 'string') {
    throw new ValidationError(`entry path must be a string, got ${typeof value}`, {
      rule: 'path.type',
    });
  }
  if (value.length === 0) {
    throw new ValidationError('entry path must not be empty', { rule: 'path.empty' });
  }
  if (value.includes('\0')) {
    throw new ValidationError(`entry path ${JSON.stringify(value)} contains a NUL character`, {
      rule: 'path.nul',
    });
  }
  const posix = value.replaceAll('\\', '/');
  if (posix.startsWith('/') || /^[A-Za-z]:/.test(posix)) {
    throw new PathEscapeError(
      `entry path ${JSON.stringify(value)} is absolute; entry paths are relative to the artifact root`,
      { rule: 'path.absolute', path: value },
    );
  }
  const segments = posix.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    throw new PathEscapeError(
      `entry path ${JSON.stringify(value)} contains '..'; entry paths must stay inside the artifact root`,
      { rule: 'path.parent', path: value },
    );
  }
  if (segments.length === 0) {
    throw new ValidationError(`entry path ${JSON.stringify(value)} names no file`, {
      rule: 'path.empty',
    });
  }
  const normalized = segments.join('/');
  if (normalized.length > MAX_PATH_LENGTH) {
    throw new ValidationError(
      `entry path is ${normalized.length} characters long; the limit is ${MAX_PATH_LENGTH}`,
      { rule: 'path.length' },
    );
  }
  return normalized;
}

/** Normalizes a directory prefix (`a/b/`, `./a`) to `a/b`, or '' for the root. */
export function normalizeDirPrefix(value: string | undefined): string {
  if (value === undefined || value === '' || value === '.' || value === './') return '';
  return normalizeEntryPath(value);
}

/** Joins a directory prefix and a relative name into one entry path. */
export function joinEntryPath(prefix: string, name: string): string {
  return normalizeEntryPath(prefix === '' ? name : `${prefix}/${name}`);
}

/**
 * `joinEntryPath` for a path made of names read from directory listings (each non-empty, never
 * `.` or `..`, never holding `/` or NUL) below a normalized prefix: such a path is already in
 * normal form unless a name holds a backslash, the first looks like a drive (`C:`) or it is too
 * long, so only those take the full normalization (and its errors).
 */
export function joinListedPath(prefix: string, listed: string): string {
  const path = prefix === '' ? listed : `${prefix}/${listed}`;
  if (listed.includes('\\') || path.length > MAX_PATH_LENGTH || /^[A-Za-z]:/.test(path)) {
    return normalizeEntryPath(path);
  }
  return path;
}

/** True when `path` is `dir` itself or lies below it (`dir` = '' is the root). */
export function isUnderPrefix(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}

/**
 * Compares strings by Unicode code point, as Python's `sorted` does (W&B sorts manifests so).
 * UTF-16 order differs from code point order only where a surrogate meets a unit at or above
 * U+E000, so the first differing unit decides after moving surrogates above that range.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

function rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}
