import { closeSync, openSync, readSync } from 'node:fs';
import { readRuns, runSpan } from '@cairn/core';
import type { PlacedBytes } from '@cairn/core';

/** Blobs closer than this in a pack are read with one read (the gap is read and dropped). */
const READ_MAX_GAP = 64 * 1024;
const READ_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Reads items lying at byte ranges of one file (a pack: the cache's, or a co-located server's)
 * in offset order, with one synchronous read per run of neighbours, and yields each item with
 * its bytes: a view of the run's buffer, which the caller may keep, unless `reuse` is set. With
 * `reuse`, every run is read into one buffer (no fresh memory for the kernel to fault in and the
 * collector to chase, run after run), so an item's bytes are valid only until the next item is
 * asked for. A caller may await between items (the file stays open until the loop ends). A file
 * that cannot be opened, or ends before an item does, ends the items there and calls
 * `unreadable`; items yielded before stay yielded.
 */
export function* readPacked<T extends PlacedBytes>(
  path: string,
  items: readonly T[],
  opts: { reuse?: boolean; unreadable?: () => void } = {},
): Generator<[T, Buffer]> {
  const sorted = [...items].sort((a, b) => a.offset - b.offset);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    opts.unreadable?.();
    return;
  }
  let buffer: Buffer | undefined;
  try {
    for (const run of readRuns(sorted, { maxGap: READ_MAX_GAP, maxBytes: READ_MAX_BYTES })) {
      const span = runSpan(run);
      let into: Buffer;
      if (opts.reuse) {
        if (!buffer || buffer.length < span.length) buffer = Buffer.allocUnsafe(span.length);
        into = buffer.subarray(0, span.length);
      } else {
        into = Buffer.allocUnsafe(span.length);
      }
      if (!readFully(fd, into, span.offset)) {
        opts.unreadable?.();
        return;
      }
      for (const item of run) {
        const at = item.offset - span.offset;
        yield [item, into.subarray(at, at + item.size)];
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Fills `buf` from `start` of the file; false when the file ends first or cannot be read. */
function readFully(fd: number, buf: Buffer, start: number): boolean {
  let got = 0;
  try {
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) return false;
      got += n;
    }
  } catch {
    return false;
  }
  return true;
}
