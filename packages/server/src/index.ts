import { buildApp } from './app.js';
import type { ServerOptions } from './options.js';

export { buildApp } from './app.js';
export type { App } from './app.js';
export type { ServerOptions } from './options.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Builds the app and listens; `url` is where clients reach it. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const { app, options: o } = await buildApp(options);
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
