import swagger from '@fastify/swagger';
import { API_PREFIX } from '@cairn/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { registerAuth } from './http/auth.js';
import { blobRoutes } from './http/blobs.js';
import { collectionRoutes, projectRoutes } from './http/collections.js';
import { MAX_PARAM_LENGTH, frameworkErrors, registerErrorHandling } from './http/errors.js';
import { validatorCompiler } from './http/validators.js';
import { registerUrlGuard } from './http/url-guard.js';
import { gcRoutes } from './http/gc.js';
import { folderRoutes } from './http/folders.js';
import { FolderService } from './service/folder-service.js';
import { registryRoutes } from './http/registry.js';
import { RegistryService } from './service/registry-service.js';
import { lineageRoutes } from './http/lineage.js';
import { runRoutes } from './http/runs.js';
import { SERVER_VERSION, healthRoutes } from './http/health.js';
import type { Services } from './http/services.js';
import { uiRoutes } from './http/ui.js';
import { uploadRoutes } from './http/uploads.js';
import { versionRoutes } from './http/versions.js';
import { resolveOptions, type ResolvedOptions, type ServerOptions } from './options.js';
import { LocalUploads } from './service/local-uploads.js';
import { BlobService } from './service/blob-service.js';
import { GcService } from './service/gc-service.js';
import { createLineageServices } from './service/lineage-setup.js';
import { UploadService } from './service/upload-service.js';
import { VersionService } from './service/version-service.js';
import { openBlobStore } from './store/blob/open-blob-store.js';
import { isDirect } from './store/blob/blob-store.js';
import { directRoutes } from './http/direct.js';
import { DirectService } from './service/direct-service.js';
import { sageMakerRoutes } from './sagemaker/router.js';
import { KyselyMetaStore } from './store/meta/kysely-meta-store.js';
import { openPostgresDatabase } from './store/meta/postgres.js';
import { openSqliteDatabase } from './store/meta/sqlite.js';

/** Builds the Fastify app over the stores named by the options, without listening. */
export async function buildApp(options: ServerOptions = {}): Promise<FastifyInstance> {
  return createApp(resolveOptions(options));
}

export async function createApp(o: ResolvedOptions): Promise<FastifyInstance> {
  await mkdir(o.dataDir, { recursive: true });
  const db = o.databaseUrl
    ? await openPostgresDatabase(o.databaseUrl)
    : await openSqliteDatabase(join(o.dataDir, 'cairn.db'));
  const meta = new KyselyMetaStore(db);
  const store = await openBlobStore(o.dataDir, o.s3).catch(async (err: unknown) => {
    await meta.close();
    throw err;
  });
  const blobs = new BlobService(meta, store);
  const versions = new VersionService(meta);
  const services: Services = {
    blobs,
    localUploads: new LocalUploads(meta, store),
    uploads: new UploadService(meta, blobs),
    versions,
    gc: new GcService(meta, store, () => versions.expire()),
  };
  const lineage = createLineageServices(db, o, services.versions);
  // Presigned transfers only where clients can reach the store and the operator allows it.
  const direct = new DirectService(meta, isDirect(store) && o.s3?.direct ? store : undefined);

  const app = Fastify({
    logger: o.logger,
    // JSON bodies only (a 100k-entry commit is tens of MiB); blob routes stream without a limit.
    bodyLimit: 128 * 1024 * 1024,
    // Uploads of large blobs may take long; a stalled client is cut by the socket timeout instead.
    requestTimeout: 0,
    // Bad URLs and over-long path segments get Cairn's error body; bodies are not coerced.
    frameworkErrors,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  });
  app.setValidatorCompiler(validatorCompiler);
  // The periodic sweep; `cairn gc` (POST /api/v1/gc) runs one on demand.
  const gcTimer =
    o.gcIntervalMs > 0
      ? setInterval(() => {
          services.gc
            .run()
            .catch((err: unknown) => app.log.error({ err }, 'garbage collection failed'));
        }, o.gcIntervalMs).unref()
      : undefined;
  app.addHook('onClose', async () => {
    clearInterval(gcTimer);
    lineage.stop();
    await meta.close();
    await store.close();
  });
  registerErrorHandling(app);
  registerUrlGuard(app);
  registerAuth(app, o.apiKey, o.accessKeys);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Cairn',
        version: SERVER_VERSION,
        description: 'Versioned artifacts and lineage for machine learning',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(
    async (api) => {
      healthRoutes(api);
      collectionRoutes(api, services);
      projectRoutes(api, services);
      versionRoutes(api, services);
      blobRoutes(api, services);
      uploadRoutes(api, services);
      gcRoutes(api, services);
      directRoutes(api, direct);
      registryRoutes(api, new RegistryService(meta));
      folderRoutes(api, services, new FolderService(meta));
      runRoutes(api, lineage);
      lineageRoutes(api, lineage);
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    },
    { prefix: API_PREFIX },
  );
  if (o.uiDir !== undefined) await uiRoutes(app, o.uiDir);
  // The SageMaker JSON face lives at POST /, outside the API prefix, as AWS clients expect.
  await app.register(sageMakerRoutes, {
    db,
    region: o.region,
    regionPinned: o.regionPinned,
    account: o.account,
    accessKeys: o.accessKeys,
    limits: o.sagemakerLimits,
  });
  return app;
}
