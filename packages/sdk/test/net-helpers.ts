import { createServer, request } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts `server` on an ephemeral loopback port; its URL and a close that waits for it. */
export async function listenLocal(
  server: Server,
): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** What a test proxy may watch or change; `route` is `METHOD /path` without the query. */
export interface ProxyHooks {
  /** A request arrived (before its body). */
  onRequest?(route: string): void;
  /** One chunk of a request body, before it is forwarded. */
  onChunk?(route: string, chunk: Buffer): void;
  /** A JSON request's whole body, once it was forwarded. */
  onJsonBody?(route: string, body: string): void;
  /** Rewrites a JSON answer before the client sees it; undefined passes it unchanged. */
  rewriteJson?(route: string, body: Record<string, unknown>): Record<string, unknown> | undefined;
}

/** A pass-through HTTP proxy in front of `target` (a test server), with hooks to watch or meddle. */
export async function passThroughProxy(
  target: string,
  hooks: ProxyHooks = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    hooks.onRequest?.(route);
    const out = request(
      `${target}${req.url}`,
      { method: req.method, headers: req.headers },
      (r: IncomingMessage) => {
        const rewrite = hooks.rewriteJson;
        if (!rewrite || !(r.headers['content-type'] ?? '').includes('json')) {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
          return;
        }
        const parts: Buffer[] = [];
        r.on('data', (b: Buffer) => parts.push(b));
        r.on('end', () => {
          const text = Buffer.concat(parts).toString();
          const changed = rewrite(route, JSON.parse(text) as Record<string, unknown>);
          const body = changed === undefined ? text : JSON.stringify(changed);
          res.writeHead(r.statusCode ?? 502, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          res.end(body);
        });
      },
    );
    const json = (req.headers['content-type'] ?? '').includes('json');
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => {
      hooks.onChunk?.(route, b);
      if (json) chunks.push(b);
      if (!out.write(b)) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    });
    req.on('end', () => {
      if (json) hooks.onJsonBody?.(route, Buffer.concat(chunks).toString());
      out.end();
    });
  });
  return listenLocal(server);
}
