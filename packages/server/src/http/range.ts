import { CairnError } from '@cairn/core';
import type { ByteRange } from '../store/blob/blob-store.js';

/**
 * One `bytes=` range of RFC 9110 against a resource of `size` bytes. Multiple ranges or other
 * units are ignored (the whole body is sent, as the RFC allows); unsatisfiable ones are a 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  let start: number;
  let end: number;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) throw unsatisfiable(header, size);
    start = Math.max(size - suffix, 0);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return undefined;
  }
  if (start >= size) throw unsatisfiable(header, size);
  return { start, end };
}

function unsatisfiable(header: string, size: number): CairnError {
  return new CairnError(
    'RANGE_NOT_SATISFIABLE',
    `range ${header} is outside the ${size} bytes of this resource`,
    { size },
  );
}
