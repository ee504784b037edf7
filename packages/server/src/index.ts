import { createApp } from './app.js';
import { resolveOptions, type ServerOptions } from './options.js';

export { buildApp } from './app.js';
export type { ServerOptions } from './options.js';

export interface RunningServer {
  /** Where clients reach the server, e.g. http://127.0.0.1:8080. */
  url: string;
  close(): Promise<void>;
}

/** Builds the app and listens; refuses a non-loopback host without an API key. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const o = resolveOptions(options);
  const app = await createApp(o);
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return { url: `http://${host}:${port}`, close: () => app.close() };
}
