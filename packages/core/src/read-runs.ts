/** Something lying at a byte range of a file (a blob in a pack). */
export interface PlacedBytes {
  offset: number;
  size: number;
}

export interface ReadRunLimits {
  /** Neighbours at most this far apart share a read (the gap is read and dropped). */
  maxGap: number;
  /** No run's read spans more than this (a single bigger item is a run of its own). */
  maxBytes: number;
}

/**
 * Splits items sorted by (file, offset) into runs that one read each covers, so 10^4 small blobs
 * of a pack cost a few large reads instead of 10^4 small ones. Used wherever packs are read: the
 * server's batch download, the SDK's cache, and a client copying from a co-located server.
 */
export function readRuns<T extends PlacedBytes>(
  sorted: readonly T[],
  limits: ReadRunLimits,
  fileOf: (item: T) => string = () => '',
): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let file = '';
  let start = 0;
  let end = 0;
  for (const item of sorted) {
    const f = fileOf(item);
    const joins =
      run.length > 0 &&
      f === file &&
      item.offset >= start &&
      item.offset - end <= limits.maxGap &&
      item.offset + item.size - start <= limits.maxBytes;
    if (!joins) {
      if (run.length > 0) runs.push(run);
      run = [];
      file = f;
      start = item.offset;
      end = item.offset;
    }
    run.push(item);
    end = Math.max(end, item.offset + item.size);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** The byte range one read of a run covers: from its first item's offset to its furthest end. */
export function runSpan(run: readonly PlacedBytes[]): { offset: number; length: number } {
  const offset = (run[0] as PlacedBytes).offset;
  let end = offset;
  for (const item of run) end = Math.max(end, item.offset + item.size);
  return { offset, length: end - offset };
}
