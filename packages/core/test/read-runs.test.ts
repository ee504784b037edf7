import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readRuns, runSpan } from '@cairn/core';

const limits = { maxGap: 10, maxBytes: 100 };
const at = (offset: number, size: number, file = 'a') => ({ offset, size, file });

test('readRuns joins neighbours of one file and splits at a gap, a size limit or a new file', () => {
  const items = [
    at(0, 10),
    at(10, 10), // adjacent
    at(25, 5), // gap of 5: joins
    at(50, 10), // gap of 20: new run
    at(60, 30), // 50..90 spans 40: joins
    at(95, 60), // would span 50..155 > 100: new run
    at(155, 1, 'b'), // adjacent, but another file
  ];
  const runs = readRuns(items, limits, (i) => i.file);
  assert.deepEqual(
    runs.map((r) => r.map((i) => i.offset)),
    [[0, 10, 25], [50, 60], [95], [155]],
  );
  assert.deepEqual(runSpan(runs[0] ?? []), { offset: 0, length: 30 });
  assert.deepEqual(runSpan(runs[1] ?? []), { offset: 50, length: 40 });
});

test('readRuns keeps an item bigger than the limit as a run of its own, and handles none', () => {
  assert.deepEqual(readRuns([], limits), []);
  const runs = readRuns([at(0, 5), at(5, 500), at(505, 5)], limits);
  assert.deepEqual(
    runs.map((r) => r.map((i) => i.size)),
    [[5], [500], [5]],
  );
});

test('readRuns without a file key treats every item as one file', () => {
  const runs = readRuns([at(0, 10, 'x'), at(10, 10, 'y')], limits);
  assert.equal(runs.length, 1);
});
