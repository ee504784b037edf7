/**
 * Many blobs in one HTTP body: each blob is a 40-byte header (32 raw bytes of SHA-256, then the
 * length as an unsigned 64-bit big-endian integer) followed by exactly that many bytes. Used for
 * pack uploads (`POST /packs`) and batch downloads (`POST /blobs/batch`), so ten thousand small
 * files cost one request instead of ten thousand.
 */
import { CairnError } from './errors.js';

export const FRAME_HEADER_BYTES = 40;
const HEX64 = /^[0-9a-f]{64}$/;

export function encodeFrameHeader(sha256Hex: string, length: number): Uint8Array {
  if (!HEX64.test(sha256Hex)) {
    throw new CairnError('BAD_REQUEST', `not a lower-case hex SHA-256: '${sha256Hex}'`);
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new CairnError(
      'BAD_REQUEST',
      `frame length must be a non-negative integer, got ${length}`,
    );
  }
  // Buffer's hex codec and two 32-bit halves: ten thousand headers cost ~10 ms, not ~100.
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.write(sha256Hex, 0, 32, 'hex');
  header.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 32);
  header.writeUInt32BE(length >>> 0, 36);
  return header;
}

export type FrameEvent =
  | { kind: 'start'; sha256: string; length: number }
  | { kind: 'data'; bytes: Uint8Array }
  | { kind: 'end'; sha256: string };

/** Incremental parser: push chunks as they arrive, act on the events in order. */
export class FrameParser {
  private header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private current: { sha256: string; remaining: number } | null = null;

  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.current === null) {
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.length - offset);
        this.header.set(chunk.subarray(offset, offset + take), this.headerFill);
        this.headerFill += take;
        offset += take;
        if (this.headerFill === FRAME_HEADER_BYTES) {
          this.headerFill = 0;
          const sha256 = this.header.toString('hex', 0, 32);
          const high = this.header.readUInt32BE(32);
          // Above 2^53 - 1 a length is no safe integer: 2^21 - 1 is the most the high half holds.
          if (high > 0x1f_ffff) {
            throw new CairnError(
              'BAD_REQUEST',
              `frame for ${sha256} declares an impossible length`,
            );
          }
          const length = high * 0x1_0000_0000 + this.header.readUInt32BE(36);
          events.push({ kind: 'start', sha256, length });
          if (length === 0) events.push({ kind: 'end', sha256 });
          else this.current = { sha256, remaining: length };
        }
      } else {
        const take = Math.min(this.current.remaining, chunk.length - offset);
        events.push({ kind: 'data', bytes: chunk.subarray(offset, offset + take) });
        offset += take;
        this.current.remaining -= take;
        if (this.current.remaining === 0) {
          events.push({ kind: 'end', sha256: this.current.sha256 });
          this.current = null;
        }
      }
    }
    return events;
  }

  /** Call at end of input: throws if the stream stopped inside a frame. */
  finish(): void {
    if (this.current !== null || this.headerFill !== 0) {
      const what = this.current ? `blob ${this.current.sha256}` : 'a frame header';
      throw new CairnError('BAD_REQUEST', `the frame stream ended in the middle of ${what}`);
    }
  }
}
