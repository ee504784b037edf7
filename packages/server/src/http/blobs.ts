import { Type } from '@sinclair/typebox';
import {
  CairnError,
  FRAMES_CONTENT_TYPE,
  LOCAL_BLOBS_MAX_HASHES,
  isSha256Hex,
  ValidationError,
} from '@cairn/core';
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { isLoopback } from '../options.js';
import { BlobInfo, errors } from './schemas.js';
import type { Services } from './services.js';
import { sendBlob } from './download.js';

/**
 * Whether a request came from this machine: only there does a path of the server's name the
 * same file (an IPv4 peer of a dual-stack socket reads `::ffff:127.0.0.1`).
 */
function fromThisMachine(address: string | undefined): boolean {
  return address !== undefined && isLoopback(address.replace(/^::ffff:/, ''));
}

const Sha = Type.Object({ sha256: Type.String() });
const Hashes = Type.Object({ sha256: Type.Array(Type.String()) });

function checkSha(s: string): string {
  if (!isSha256Hex(s)) {
    throw new ValidationError(`${JSON.stringify(s)} is not a lower-case hex SHA-256`, {
      rule: 'sha256',
    });
  }
  return s;
}

/** A rejected body is read on to its end, up to this much, so its sender gets the answer. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Runs `work` on the request's bytes (the raw routes' parser hands the request stream through;
 * no body at all is an empty blob). When it fails before the body ended (a frame of a pack that
 * does not match its SHA-256), the rest of the body is read and dropped before the error is
 * answered: a client still sending then gets the 400 that names the problem, not a connection
 * reset midway through its upload. A body with more than DRAIN_LIMIT_BYTES left is cut off.
 */
async function withBody<T>(
  body: unknown,
  work: (bytes: AsyncIterable<Uint8Array>) => Promise<T>,
): Promise<T> {
  if (!(body instanceof Readable)) return work(Readable.from([]));
  const bytes: AsyncIterable<Uint8Array> = {
    // Leaving the loop early must not destroy the request (and with it the connection).
    [Symbol.asyncIterator]: () => body.iterator({ destroyOnReturn: false }),
  };
  try {
    return await work(bytes);
  } catch (err) {
    let left = DRAIN_LIMIT_BYTES;
    try {
      for await (const chunk of body.iterator({ destroyOnReturn: true })) {
        left -= (chunk as Uint8Array).byteLength;
        if (left < 0) break;
      }
    } catch {
      // the sender went away: nobody is waiting for the answer
    }
    throw err;
  }
}

/**
 * Routes whose body is bytes: whatever the content type says (curl sends form types), the
 * request stream reaches the service unbuffered and without a size limit, to be hashed and
 * written as it arrives.
 */
function rawRoutes(app: FastifyInstance, s: Services): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { bodyLimit: Number.MAX_SAFE_INTEGER }, (_req, payload, done) =>
    done(null, payload),
  );

  app.put<{ Params: { sha256: string } }>(
    '/blobs/:sha256',
    {
      schema: {
        summary: 'Store one blob; rejected unless its bytes hash to the SHA-256 in the path',
        consumes: ['application/octet-stream'],
        params: Sha,
        response: { 200: BlobInfo, ...errors },
      },
    },
    async (req) =>
      withBody(req.body, (bytes) => s.blobs.putBlob(bytes, checkSha(req.params.sha256))),
  );

  app.post(
    '/blobs',
    {
      schema: {
        summary: 'Store one blob of unknown hash; the server hashes it',
        consumes: ['application/octet-stream'],
        response: { 200: BlobInfo, ...errors },
      },
    },
    async (req) => withBody(req.body, (bytes) => s.blobs.putBlob(bytes)),
  );

  app.post(
    '/packs',
    {
      schema: {
        summary: `Store many small blobs sent as one framed stream (${FRAMES_CONTENT_TYPE})`,
        consumes: [FRAMES_CONTENT_TYPE],
        response: { 200: Type.Object({ stored: Type.Array(BlobInfo) }), ...errors },
      },
    },
    async (req) => ({ stored: await withBody(req.body, (bytes) => s.blobs.putPack(bytes)) }),
  );
}

export function blobRoutes(app: FastifyInstance, s: Services): void {
  void app.register(async (raw) => rawRoutes(raw, s));

  app.get<{ Params: { sha256: string } }>(
    '/blobs/:sha256',
    { schema: { summary: 'Bytes of one blob; HTTP Range supported', params: Sha } },
    async (req, reply) =>
      sendBlob(
        reply,
        s.blobs,
        await s.blobs.blobInfo(checkSha(req.params.sha256)),
        req.headers.range,
      ),
  );

  app.post<{ Body: { sha256: string[] } }>(
    '/blobs/missing',
    {
      schema: {
        summary: 'Which of these blobs the server lacks',
        body: Hashes,
        response: { 200: Type.Object({ missing: Type.Array(Type.String()) }), ...errors },
      },
    },
    async (req) => ({ missing: await s.blobs.missing(req.body.sha256) }),
  );

  app.post<{ Body: { sha256: string[]; packed?: boolean } }>(
    '/blobs/local',
    {
      schema: {
        summary:
          'Where blobs lie as files of the server: for a client on the same machine to copy or read (answered to loopback peers only; empty for stores that are not a local folder)',
        description:
          'Without `packed`, only blobs stored alone (each item is a whole file). With `packed: true`, blobs inside larger packs too: such an item has an `offset`, where its `size` bytes start in the file at `path`.',
        body: Type.Object({
          sha256: Type.Array(Type.String(), { maxItems: LOCAL_BLOBS_MAX_HASHES }),
          packed: Type.Optional(Type.Boolean()),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                sha256: Type.String(),
                size: Type.Integer(),
                path: Type.String(),
                offset: Type.Optional(Type.Integer()),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const hashes = req.body.sha256.map(checkSha);
      if (!fromThisMachine(req.socket.remoteAddress)) return { items: [] };
      return { items: await s.blobs.localFiles(hashes, { packed: req.body.packed ?? false }) };
    },
  );

  const Ticket = Type.Object({ id: Type.String(), path: Type.String() });
  const Id = Type.Object({ id: Type.String() });
  const localOnly = (address: string | undefined): void => {
    if (!fromThisMachine(address)) {
      throw new CairnError(
        'FORBIDDEN',
        'local uploads are offered to clients on the server’s machine only: send the bytes to POST /blobs',
      );
    }
  };
  app.post<{ Querystring: { follow?: boolean } }>(
    '/blobs/local-uploads',
    {
      schema: {
        summary:
          'Name a file of the server for a client on the same machine to copy one blob into (loopback peers, filesystem stores)',
        description:
          'With follow=true the client promises to write the file in order from its start (as copy_file_range does), and the server hashes it while it is copied; it is adopted only at finish, which the client calls once its copy is complete.',
        querystring: Type.Object({ follow: Type.Optional(Type.Boolean()) }),
        response: { 200: Ticket, ...errors },
      },
    },
    async (req) => {
      localOnly(req.socket.remoteAddress);
      return s.localUploads.start({ follow: req.query.follow ?? false });
    },
  );
  app.post<{ Params: { id: string } }>(
    '/blobs/local-uploads/:id/finish',
    {
      schema: {
        summary:
          'Hash (the rest of) what was copied to a local upload’s file and store it, once the copy is complete; answers its hashes',
        params: Id,
        response: { 200: BlobInfo, ...errors },
      },
    },
    async (req) => {
      localOnly(req.socket.remoteAddress);
      return s.localUploads.finish(req.params.id);
    },
  );
  app.delete<{ Params: { id: string } }>(
    '/blobs/local-uploads/:id',
    {
      schema: {
        summary: 'Abandon a local upload (its file is removed)',
        params: Id,
        response: { 200: Type.Object({ aborted: Type.Literal(true) }), ...errors },
      },
    },
    async (req) => {
      localOnly(req.socket.remoteAddress);
      await s.localUploads.abort(req.params.id);
      return { aborted: true as const };
    },
  );

  app.post<{ Body: { sha256: string[] } }>(
    '/blobs/batch',
    {
      schema: {
        summary: `Many blobs in one framed stream (${FRAMES_CONTENT_TYPE})`,
        body: Hashes,
      },
    },
    async (req, reply) => {
      const frames = await s.blobs.batch(req.body.sha256.map(checkSha));
      return reply.type(FRAMES_CONTENT_TYPE).send(Readable.from(frames));
    },
  );
}
