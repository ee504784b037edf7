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

test('fileChunks with more follows a file that is still written, and ends once the writer is done', async () => {
  const bytes = randomBytes(100);
  let written = 0;
  const file: PositionalReader = {
    async read(buffer, offset, length, position) {
      const n = Math.max(0, Math.min(length, written - position));
      bytes.copy(buffer, offset, position, position + n);
      return { bytesRead: n };
    },
  };
  // The writer adds 30 bytes each time the reader waits; the last ones land after it says done.
  let waits = 0;
  const more = async (): Promise<boolean> => {
    waits++;
    written = Math.min(bytes.length, written + 30);
    return written < 90;
  };
  const parts: Buffer[] = [];
  for await (const c of fileChunks(file, 16, more)) parts.push(Buffer.from(c));
  assert.deepEqual(Buffer.concat(parts), bytes.subarray(0, 90), 'the bytes there when done, all');
  assert.equal(waits, 3);

  // Without more, the end of what is there is the end.
  written = 20;
  const first: Buffer[] = [];
  for await (const c of fileChunks(file, 16)) first.push(Buffer.from(c));
  assert.equal(Buffer.concat(first).length, 20);
});
