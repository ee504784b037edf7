import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRAME_HEADER_BYTES, FrameParser, encodeFrameHeader } from '../src/framing.js';

const SHA = 'ab'.repeat(32);

test('frame headers carry the SHA-256 and any safe length, split anywhere', () => {
  for (const length of [0, 1, 4096, 2 ** 32 - 1, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
    const header = encodeFrameHeader(SHA, length);
    assert.equal(header.length, FRAME_HEADER_BYTES);
    for (let cut = 0; cut <= FRAME_HEADER_BYTES; cut++) {
      const p = new FrameParser();
      const events = [...p.push(header.subarray(0, cut)), ...p.push(header.subarray(cut))];
      assert.deepEqual(events[0], { kind: 'start', sha256: SHA, length });
    }
  }
  const body = Buffer.from('hello');
  const p = new FrameParser();
  const events = p.push(Buffer.concat([encodeFrameHeader(SHA, body.length), body]));
  assert.deepEqual(
    events.map((e) => e.kind),
    ['start', 'data', 'end'],
  );
  p.finish();
});

test('a length beyond 2^53 - 1 is refused, and so is a stream ending inside a frame', () => {
  const header = Buffer.from(encodeFrameHeader(SHA, 0));
  header.writeUInt32BE(0x20_0000, 32); // 2^53
  assert.throws(() => new FrameParser().push(header), { code: 'BAD_REQUEST' });
  assert.throws(() => encodeFrameHeader(SHA, 2 ** 53), { code: 'BAD_REQUEST' });
  assert.throws(() => encodeFrameHeader('AB'.repeat(32), 1), { code: 'BAD_REQUEST' });
  const p = new FrameParser();
  p.push(encodeFrameHeader(SHA, 10).subarray(0, 30));
  assert.throws(() => p.finish(), { code: 'BAD_REQUEST' });
});
