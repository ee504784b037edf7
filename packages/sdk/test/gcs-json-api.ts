import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * No GCS-protocol server installs from npm on Node 20 here, so this is the slice of the GCS
 * JSON API (v1) the SDK speaks, written from Google's reference: object metadata, paginated
 * listing with `prefix`/`pageToken`/`maxResults`, `alt=media` downloads by `generation`, and a
 * bearer token required on every call. It keeps one bucket in memory.
 */
export interface GcsTestServer {
  url: string;
  put(name: string, body: string): void;
  remove(name: string): void;
  close(): Promise<void>;
}

interface Obj {
  bytes: Buffer;
  generation: number;
}

export async function startGcsJsonApi(bucket: string, token: string): Promise<GcsTestServer> {
  const objects = new Map<string, Obj>();
  let generation = 1_700_000_000_000_000;
  const meta = (name: string, o: Obj) => ({
    kind: 'storage#object',
    name,
    bucket,
    size: String(o.bytes.length),
    md5Hash: createHash('md5').update(o.bytes).digest('base64'),
    generation: String(o.generation),
    etag: `C${o.generation.toString(36)}=`,
  });
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: { code: 401 } });
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(url.pathname);
    if (!m || decodeURIComponent(m[1] ?? '') !== bucket) return send(404, { error: { code: 404 } });
    if (m[2] === undefined) {
      const prefix = url.searchParams.get('prefix') ?? '';
      const max = Number(url.searchParams.get('maxResults') ?? 1000);
      const after = url.searchParams.get('pageToken') ?? '';
      const names = [...objects.keys()].filter((n) => n.startsWith(prefix) && n > after).sort();
      const page = names.slice(0, max);
      const body: Record<string, unknown> = {
        kind: 'storage#objects',
        items: page.map((n) => meta(n, objects.get(n) as Obj)),
      };
      if (names.length > max) body.nextPageToken = page[page.length - 1];
      return send(200, body);
    }
    const name = decodeURIComponent(m[2]);
    const o = objects.get(name);
    const wanted = url.searchParams.get('generation');
    if (!o || (wanted !== null && wanted !== String(o.generation))) {
      return send(404, { error: { code: 404, message: 'No such object' } });
    }
    if (url.searchParams.get('alt') === 'media') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return res.end(o.bytes);
    }
    return send(200, meta(name, o));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    put: (name, body) => objects.set(name, { bytes: Buffer.from(body), generation: ++generation }),
    remove: (name) => objects.delete(name),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
