import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatheredWrites } from '@cairn/core';

const chunk = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

test('GatheredWrites: batches of the target size, in order, at most one in flight', async () => {
  const batches: number[][] = [];
  let inFlight = 0;
  let most = 0;
  const release: (() => void)[] = [];
  const writes = new GatheredWrites(async (parts, bytes) => {
    inFlight++;
    most = Math.max(most, inFlight);
    assert.equal(
      bytes,
      parts.reduce((n, p) => n + p.byteLength, 0),
    );
    await new Promise<void>((r) => release.push(r));
    batches.push(parts.map((p) => p[0] ?? -1));
    inFlight--;
  }, 10);
  const pushing = (async () => {
    for (let i = 0; i < 12; i++) await writes.push(chunk(4, i));
    await writes.drain();
  })();
  // Let each write finish a little later than it starts, so pushes queue up behind it.
  while (batches.length < 4) {
    await new Promise((r) => setTimeout(r, 1));
    release.shift()?.();
  }
  await pushing;
  assert.deepEqual(batches, [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 8],
    [9, 10, 11],
  ]);
  assert.equal(most, 1);
});

test('GatheredWrites: a failed write fails the next push and the drain; settle does not throw', async () => {
  let calls = 0;
  const writes = new GatheredWrites(async () => {
    calls++;
    throw new Error('disk full');
  }, 4);
  await writes.push(chunk(4, 1)); // starts the first batch; it fails in the background
  await assert.rejects(writes.push(chunk(4, 2)), /disk full/);
  await assert.rejects(writes.push(chunk(4, 3)), /disk full/);
  await assert.rejects(writes.drain(), /disk full/);
  await writes.settle();
  assert.equal(calls, 1, 'nothing is written after a failure');
});
