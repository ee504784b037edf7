import type { Server } from 'node:http';
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
