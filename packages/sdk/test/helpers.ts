import { rm } from 'node:fs/promises';
import type { ServerOptions } from '@cairn/server';
import { startTestServer } from '../../server/test/backends.js';
import { Cairn } from '../src/index.js';
import type { CairnOptions } from '../src/index.js';
import { tempDir } from './fs-helpers.js';

export * from './fs-helpers.js';
export { listenLocal, passThroughProxy } from './net-helpers.js';
export type { ProxyHooks } from './net-helpers.js';
export { blobsOnS3 } from '../../server/test/backends.js';

export interface TestEnv {
  url: string;
  dirs: string[];
  client(options?: CairnOptions): Promise<Cairn>;
  dir(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real server on an ephemeral port with a temp data dir, and clients with temp caches. The
 * server runs on the run's backends (PostgreSQL and S3 with direct transfers in the second pass
 * of scripts/run-tests.mjs), each env with its own database and bucket prefix.
 */
export async function startEnv(options: ServerOptions = {}): Promise<TestEnv> {
  const dataDir = await tempDir('cairn-sdk-data-');
  const server = await startTestServer({ port: 0, dataDir, logger: false, ...options });
  const dirs = [dataDir];
  const env: TestEnv = {
    url: server.url,
    dirs,
    async dir() {
      const d = await tempDir();
      dirs.push(d);
      return d;
    },
    async client(options = {}) {
      const cacheDir = await env.dir();
      return new Cairn({
        url: server.url,
        entity: 'tester',
        project: 'proj',
        cacheDir,
        ...options,
      });
    },
    async close() {
      await server.close();
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
  return env;
}
