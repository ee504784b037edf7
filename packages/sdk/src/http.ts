import { API_PREFIX, CairnError, errorFromBody } from '@cairn/core';

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

  /** Sends a request and returns the response when it is 2xx; throws a CairnError otherwise. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = this.urlOf(path, opts.query);
    const headers: Record<string, string> = { ...opts.headers };
    if (this.apiKey) headers['authorization'] = `Bearer ${this.apiKey}`;
    let body: RequestInit['body'];
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/octet-stream';
      body = opts.body as RequestInit['body'];
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body,
        ...(body !== undefined && !(body instanceof Uint8Array) && typeof body !== 'string'
          ? { duplex: 'half' }
          : {}),
      } as RequestInit);
    } catch (err) {
      if (err instanceof CairnError) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      if (cause instanceof CairnError) throw cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CairnError(
        'UNAVAILABLE',
        `cannot reach the Cairn server at ${this.baseUrl} (${why}); is it running? Set CAIRN_URL or the url option`,
        { url: this.baseUrl },
      );
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const error = errorFromBody(res.status, parsed);
    if (error.code === 'UNAVAILABLE' && parsed === undefined) {
      error.message = `unexpected response from ${url} (HTTP ${res.status}); is CAIRN_URL a Cairn server?`;
    }
    throw error;
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    try {
      return (await res.json()) as T;
    } catch {
      throw new CairnError(
        'UNAVAILABLE',
        `the server at ${this.baseUrl} answered ${method} ${path} with a body that is not JSON`,
      );
    }
  }
}
