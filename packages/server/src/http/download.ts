import type { FastifyReply } from 'fastify';
import { parseRange } from './range.js';
import type { BlobService } from '../service/blob-service.js';
import type { BlobRecord } from '../store/meta/meta-store.js';

/** Sends a blob (or one Range of it) with the headers a download client needs. */
export async function sendBlob(
  reply: FastifyReply,
  blobs: BlobService,
  b: BlobRecord,
  rangeHeader: string | undefined,
): Promise<FastifyReply> {
  const range = parseRange(rangeHeader, b.size);
  void reply
    .header('accept-ranges', 'bytes')
    .header('etag', `"${b.sha256}"`)
    .header('x-cairn-sha256', b.sha256)
    .header('x-cairn-md5', b.md5)
    .type('application/octet-stream');
  if (range) {
    void reply
      .status(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${b.size}`)
      .header('content-length', range.end - range.start + 1);
  } else {
    void reply.header('content-length', b.size);
  }
  return reply.send(await blobs.read(b, range));
}
