/**
 * Gathers arriving chunks (16–64 KiB from the network) into batches of about `batchBytes`, with
 * one batch being written while the next gathers: a 1 GiB stream is a thousand writes instead of
 * sixteen thousand, and the reading side never stops for the disk unless it is a whole batch
 * ahead. The chunks are held, not copied, until written (the network never reuses them).
 *
 * Computation only: the write itself is the caller's `writeBatch` (a `writev`, say). Used by the
 * server's blob store and the SDK's download cache.
 */
export class GatheredWrites {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> = Promise.resolve();
  /** The first failure of a batch; every later call rethrows it. */
  private failed: unknown;

  constructor(
    private readonly writeBatch: (parts: Uint8Array[], bytes: number) => Promise<void>,
    private readonly batchBytes = 1 << 20,
  ) {}

  /** Starts writing what has gathered once the batch before it is written; resolves with that. */
  private flush(): Promise<void> {
    const parts = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    const previous = this.writing;
    this.writing = (async () => {
      await previous;
      await this.writeBatch(parts, bytes);
    })();
    this.writing.catch((err: unknown) => {
      this.failed ??= err;
    });
    return previous;
  }

  private check(): void {
    if (this.failed !== undefined) throw this.failed;
  }

  /** Adds a chunk; waits only when a full batch is ready and the one before it is still written. */
  async push(chunk: Uint8Array): Promise<void> {
    this.check();
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    if (this.pendingBytes >= this.batchBytes) await this.flush();
    this.check();
  }

  /** `push` of each chunk, waiting only where a batch fills (not once per chunk). */
  async pushAll(chunks: readonly Uint8Array[]): Promise<void> {
    this.check();
    for (const chunk of chunks) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.byteLength;
      if (this.pendingBytes >= this.batchBytes) {
        await this.flush();
        this.check();
      }
    }
  }

  /** Writes whatever is left and waits for every batch; throws the first failure. */
  async drain(): Promise<void> {
    if (this.pendingBytes > 0) void this.flush();
    await this.writing;
    this.check();
  }

  /** Waits for the batch in flight, whatever its outcome (the stream is being dropped). */
  async settle(): Promise<void> {
    await this.writing.catch(() => undefined);
  }
}
