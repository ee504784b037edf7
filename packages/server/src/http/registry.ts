import { Type } from '@sinclair/typebox';
import type { LinkRequest, RegistryCollectionCreate } from '@cairn/core';
import type { FastifyInstance } from 'fastify';
import type { RegistryService } from '../service/registry-service.js';
import { Nullable, CollectionInfo, VersionInfo, errors } from './schemas.js';

export function registryRoutes(app: FastifyInstance, registry: RegistryService): void {
  app.post<{ Body: RegistryCollectionCreate }>(
    '/registries/collections',
    {
      schema: {
        summary: 'Create a registry collection (registry/<registry>/<name>) to link versions into',
        body: Type.Object({
          registry: Type.String(),
          name: Type.String(),
          type: Type.String(),
          description: Type.Optional(Nullable(Type.String())),
        }),
        response: { 200: CollectionInfo, ...errors },
      },
    },
    async (req) => registry.createCollection(req.body),
  );

  app.post<{ Params: { id: string }; Body: LinkRequest }>(
    '/versions/:id/links',
    {
      schema: {
        summary: 'Link a version into a registry collection',
        params: Type.Object({ id: Type.String() }),
        body: Type.Object({
          target: Type.String(),
          aliases: Type.Optional(Type.Unknown()),
        }),
        response: { 200: VersionInfo, ...errors },
      },
    },
    async (req) => registry.link(req.params.id, req.body),
  );

  app.get<{ Params: { id: string } }>(
    '/versions/:id/links',
    {
      schema: {
        summary: 'The live registry links of a version (or of the source of a link)',
        params: Type.Object({ id: Type.String() }),
        response: { 200: Type.Object({ items: Type.Array(VersionInfo) }), ...errors },
      },
    },
    async (req) => ({ items: await registry.links(req.params.id) }),
  );
}
