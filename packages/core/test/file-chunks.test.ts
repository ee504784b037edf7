import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { fileChunks, type PositionalReader } from '@cairn/core';

/** A file in memory that records each read and hands out at most `grain` bytes per read. */
function memoryFile(bytes: Buffer, grain = Infinity): PositionalReader & { reads: number[] } {
  const reads: number[] = [];
  return {
    reads,
    async read(buffer, offset, length, position) {
      reads.push(position);
      const n = Math.max(0, Math.min(length, grain, bytes.length - position));
      bytes.copy(buffer, offset, position, position + n);
      return { bytesRead: n };
    },
  };
}

test('fileChunks yields every byte in order, each chunk at most the chunk size', async () => {
  for (const [size, chunk, grain] of [
    [0, 16, Infinity],
    [1, 16, Infinity],
    [16, 16, Infinity],
    [100, 16, Infinity],
    [100, 16, 7],
    [(1 << 20) + 3, 1 << 16, Infinity],
  ] as const) {
    const bytes = randomBytes(size);
    const file = memoryFile(bytes, grain);
    const parts: Buffer[] = [];
    for await (const c of fileChunks(file, chunk)) {
      assert.ok(c.byteLength > 0 && c.byteLength <= chunk);
      parts.push(Buffer.from(c)); // a chunk is valid only until the next: keep a copy
    }
    assert.deepEqual(Buffer.concat(parts), bytes, `size ${size}, chunk ${chunk}, grain ${grain}`);
  }
});

test('fileChunks has the next read in flight while a chunk is consumed', async () => {
  const file = memoryFile(randomBytes(64));
  const chunks = fileChunks(file, 16);
  await chunks.next();
  assert.deepEqual(file.reads, [0, 16], 'the second read was issued before the first chunk came');
  await chunks.return(undefined);
});
