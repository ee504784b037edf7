import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The connection failed before an answer came; `reason` is the errno code or the message. */
export class ConnectionFailed extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ConnectionFailed';
  }
}

export interface StreamAnswer {
  status: number;
  text: string;
}

/**
 * Sends `body` as the request body and resolves to the status and text of the answer. A server
 * that answers early (an auth or validation error, a refused upload) stops reading the body: its
 * answer is what counts, not the broken pipe. If reading the body failed, that error is thrown;
 * if the connection failed, a ConnectionFailed.
 */
export async function streamRequest(
  url: string,
  method: string,
  headers: OutgoingHttpHeaders,
  body: Readable,
): Promise<StreamAnswer> {
  const req = sender(url)(url, { method, headers });
  const answered = new Promise<StreamAnswer>((resolve, reject) => {
    req.once('response', (res: IncomingMessage) => readAnswer(res).then(resolve, reject));
    req.once('error', reject);
  });
  const sent = pipeline(body, req).catch(() => undefined);
  let answer: StreamAnswer;
  try {
    answer = await answered;
  } catch (err) {
    // Reading the body failed (the request was torn down because of it): that is the error.
    if (body.errored) throw body.errored;
    const e = err as NodeJS.ErrnoException;
    throw new ConnectionFailed(e.code ?? e.message);
  } finally {
    body.destroy();
  }
  // A 2xx means the server read (and checked) the whole body; a late pipe error is moot then.
  await sent;
  return answer;
}

/**
 * A request with a body already in memory (or none), answered as status and text. Through
 * node:http rather than fetch: the first fetch of a process loads and compiles undici (about
 * 40 ms here), which every short CLI command and every re-log of an unchanged tree paid.
 */
export async function bufferedRequest(
  url: string,
  method: string,
  headers: OutgoingHttpHeaders,
  body?: string | Uint8Array,
): Promise<StreamAnswer> {
  const res = await openResponse(url, method, headers, body);
  return readAnswer(res).catch((err: NodeJS.ErrnoException) => {
    throw new ConnectionFailed(err.code ?? err.message);
  });
}

/** Reads a whole answer: its status and body text. Rejects as the response stream errs. */
export function readAnswer(res: IncomingMessage): Promise<StreamAnswer> {
  return new Promise<StreamAnswer>((resolve, reject) => {
    const parts: Buffer[] = [];
    res.on('data', (b: Buffer) => parts.push(b));
    res.once('end', () =>
      resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }),
    );
    res.once('error', reject);
  });
}

function sender(url: string): typeof httpRequest {
  return url.startsWith('https:') ? httpsRequest : httpRequest;
}

/**
 * Sends a request with a body in memory (or none) and resolves to the response as soon as its
 * head arrives, its body left to stream: downloads read it as a Node stream, which costs far
 * less per chunk than a fetch body's web stream.
 */
export function openResponse(
  url: string,
  method: string,
  headers: OutgoingHttpHeaders,
  body?: string | Uint8Array,
): Promise<IncomingMessage> {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = sender(url)(url, {
      method,
      headers:
        body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
    });
    req.once('response', resolve);
    req.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ConnectionFailed(err.code ?? err.message)),
    );
    req.end(body);
  });
}
