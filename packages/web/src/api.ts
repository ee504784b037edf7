/** The REST API, as the UI calls it: JSON in and out, the API key (if any) as a bearer token. */
import type { ErrorBody } from '@cairn/core/errors';

/**
 * Relative to the page, so that the UI also works behind a reverse proxy that serves Cairn under
 * a path prefix (`https://host/cairn/` → `https://host/cairn/api/v1`).
 */
const API = `${location.pathname.replace(/[^/]*$/, '')}api/v1`;
const KEY_STORAGE = 'cairn.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Anything a load threw, as an ApiError the page can show. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, 'INTERNAL', err instanceof Error ? err.message : String(err));
}

export function apiKey(): string | null {
  return localStorage.getItem(KEY_STORAGE);
}

/** The event `setApiKey` fires, after which every page loads again with the new key. */
export const KEY_CHANGED = 'cairn:api-key';

export function setApiKey(key: string | null): void {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
  dispatchEvent(new Event(KEY_CHANGED));
}

export type Query = Record<string, string | number | boolean | undefined>;

export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return `${API}${path}${qs ? `?${qs}` : ''}`;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = apiKey();
  return {
    accept: 'application/json',
    ...extra,
    ...(key ? { authorization: `Bearer ${key}` } : {}),
  };
}

async function send(method: string, url: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(url, {
      method,
      headers: headers(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new ApiError(0, 'UNAVAILABLE', `the Cairn server did not answer (${String(err)})`);
  }
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as ErrorBody;
    return new ApiError(res.status, body.error.code, body.error.message);
  } catch {
    return new ApiError(res.status, 'UNAVAILABLE', `HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
}

async function call<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
  const res = await send(method, apiUrl(path, query), body);
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export const api = {
  get: <T>(path: string, query: Query = {}): Promise<T> => call<T>('GET', path, query),
  post: <T>(path: string, body: unknown): Promise<T> => call<T>('POST', path, {}, body),
  patch: <T>(path: string, body: unknown): Promise<T> => call<T>('PATCH', path, {}, body),
  delete: <T>(path: string, query: Query = {}): Promise<T> => call<T>('DELETE', path, query),
  /** A file's bytes with the key attached (a plain link cannot send the header). */
  async blob(path: string, query: Query): Promise<Blob> {
    const res = await send('GET', apiUrl(path, query));
    if (!res.ok) throw await failure(res);
    return res.blob();
  },
};
