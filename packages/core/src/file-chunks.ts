/** What `fileChunks` reads from: a file handle's positional read. */
export interface PositionalReader {
  read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }>;
}

/**
 * Every byte of a file from its start, in chunks of up to `chunkBytes`, read into two reused
 * buffers: the next read is in flight (in the threadpool) while the caller consumes this chunk,
 * and a 1 GiB file allocates two buffers instead of a thousand for the collector to chase. A
 * chunk is valid only until the next one is asked for: hash or copy it at once.
 *
 * With `more`, the file may still be being written, in order from its start: at its end so far
 * `more` is awaited, and resolves true to read on once it may have grown, false once the writer
 * is done. The file is then read to its end once more (what arrived meanwhile) and that is all.
 */
export async function* fileChunks(
  file: PositionalReader,
  chunkBytes: number,
  more?: () => Promise<boolean>,
): AsyncGenerator<Uint8Array> {
  const bufs = [Buffer.allocUnsafeSlow(chunkBytes), Buffer.allocUnsafeSlow(chunkBytes)];
  let at = 0;
  let k = 0;
  // Dropped once the writer is done: the next end of the file is the end.
  let waitForMore = more;
  let next = file.read(bufs[0] as Buffer, 0, chunkBytes, 0);
  for (;;) {
    const { bytesRead } = await next;
    if (bytesRead === 0) {
      if (!waitForMore) return;
      if (!(await waitForMore())) waitForMore = undefined;
      next = file.read(bufs[k] as Buffer, 0, chunkBytes, at);
      continue;
    }
    const chunk = (bufs[k] as Buffer).subarray(0, bytesRead);
    at += bytesRead;
    k ^= 1;
    next = file.read(bufs[k] as Buffer, 0, chunkBytes, at);
    yield chunk;
  }
}
