import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { API_PREFIX, CairnError, errorFromBody } from '@cairn/core';
import {
  ConnectionFailed,
  bufferedRequest,
  openResponse,
  readAnswer,
  streamRequest,
  type StreamAnswer,
} from './stream-request.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  /** A JSON body, sent with `Content-Type: application/json`. */
  json?: unknown;
  /** A raw body: bytes or an async iterable of chunks (streamed, never buffered whole). */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * The one place the SDK talks HTTP: adds the API prefix and bearer token, turns error bodies back
 * into CairnErrors with the server's code, and a refused connection into UNAVAILABLE naming the URL.
 */
export class HttpClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;

  constructor(baseUrl: string, apiKey?: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.apiKey = apiKey;
  }

  urlOf(path: string, query?: Query): string {
    const url = new URL(`${this.baseUrl}${API_PREFIX}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url.toString();
  }

  /** The URL, headers (bearer token, content type) and body of a request. */
  private outgoing(
    path: string,
    opts: RequestOptions,
  ): {
    url: string;
    headers: Record<string, string>;
    body: string | Uint8Array | AsyncIterable<Uint8Array> | undefined;
  } {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.apiKey) headers['authorization'] = `Bearer ${this.apiKey}`;
    let body: string | Uint8Array | AsyncIterable<Uint8Array> | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/octet-stream';
      body = opts.body;
    }
    return { url: this.urlOf(path, opts.query), headers, body };
  }

  /** Sends a request and returns the response when it is 2xx; throws a CairnError otherwise. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const { url, headers, body } = this.outgoing(path, opts);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body as RequestInit['body'],
        ...(body !== undefined && !(body instanceof Uint8Array) && typeof body !== 'string'
          ? { duplex: 'half' }
          : {}),
      } as RequestInit);
    } catch (err) {
      if (err instanceof CairnError) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      if (cause instanceof CairnError) throw cause;
      throw this.unreachable(cause?.code ?? cause?.message ?? (err as Error).message);
    }
    if (res.ok) return res;
    throw this.errorOf(url, res.status, await res.text().catch(() => ''));
  }

  private unreachable(why: string): CairnError {
    return new CairnError(
      'UNAVAILABLE',
      `cannot reach the Cairn server at ${this.baseUrl} (${why}); is it running? Set CAIRN_URL or the url option`,
      { url: this.baseUrl },
    );
  }

  private errorOf(url: string, status: number, text: string): CairnError {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const error = errorFromBody(status, parsed);
    if (error.code === 'UNAVAILABLE' && parsed === undefined) {
      error.message = `unexpected response from ${url} (HTTP ${status}); is CAIRN_URL a Cairn server?`;
    }
    return error;
  }

  /**
   * Sends a Node stream as a request body through node:http(s) and returns the JSON answer.
   * Unlike fetch in Node 20, which reads a streamed body far ahead of the socket (a 256 MiB
   * upload grew the process by as much), this honours backpressure: memory stays a few chunks.
   */
  async sendStream<T>(
    method: string,
    path: string,
    body: Readable,
    contentType = 'application/octet-stream',
  ): Promise<T> {
    const url = this.urlOf(path);
    const headers: Record<string, string> = { 'content-type': contentType };
    if (this.apiKey) headers['authorization'] = `Bearer ${this.apiKey}`;
    let answer: StreamAnswer;
    try {
      answer = await streamRequest(url, method, headers, body);
    } catch (err) {
      if (err instanceof ConnectionFailed) throw this.unreachable(err.reason);
      throw err;
    }
    if (answer.status >= 200 && answer.status < 300)
      return this.parsed<T>(method, path, answer.text);
    throw this.errorOf(url, answer.status, answer.text);
  }

  /**
   * A 2xx answer whose body is streamed (blob downloads), through node:http. A connection that
   * breaks midway is UNAVAILABLE naming the server.
   */
  async download(
    method: string,
    path: string,
    opts: Pick<RequestOptions, 'query' | 'json' | 'headers'> = {},
  ): Promise<AsyncIterable<Buffer>> {
    const { url, headers, body } = this.outgoing(path, opts);
    let res: IncomingMessage;
    try {
      res = await openResponse(url, method, headers, body as string | undefined);
    } catch (err) {
      if (err instanceof ConnectionFailed) throw this.unreachable(err.reason);
      throw err;
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      // The status is what counts when the body cannot be read.
      const { text } = await readAnswer(res).catch(() => ({ text: '' }));
      throw this.errorOf(url, status, text);
    }
    return this.guarded(res, `${method} ${path}`);
  }

  private async *guarded(res: IncomingMessage, what: string): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) yield chunk;
    } catch (err) {
      throw new CairnError(
        'UNAVAILABLE',
        `the connection to ${this.baseUrl} broke during ${what} (${(err as Error).message}); try again`,
        { url: this.baseUrl },
      );
    } finally {
      res.destroy();
    }
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    if (opts.body !== undefined && !(opts.body instanceof Uint8Array)) {
      const res = await this.request(method, path, opts);
      return this.parsed<T>(method, path, await res.text());
    }
    const { url, headers, body } = this.outgoing(path, opts);
    let answer: StreamAnswer;
    try {
      answer = await bufferedRequest(url, method, headers, body as string | Uint8Array | undefined);
    } catch (err) {
      if (err instanceof ConnectionFailed) throw this.unreachable(err.reason);
      throw err;
    }
    if (answer.status < 200 || answer.status >= 300) {
      throw this.errorOf(url, answer.status, answer.text);
    }
    return this.parsed<T>(method, path, answer.text);
  }

  private parsed<T>(method: string, path: string, text: string): T {
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CairnError(
        'UNAVAILABLE',
        `the server at ${this.baseUrl} answered ${method} ${path} with a body that is not JSON`,
      );
    }
  }
}
