import { Type } from '@sinclair/typebox';
import type { FolderCreate, FolderMove, PlacedCommitRequest } from '@cairn/core';
import type { FastifyInstance } from 'fastify';
import type { FolderService } from '../service/folder-service.js';
import { Nullable, CollectionInfo, CommitRequest, VersionInfo, errors, page } from './schemas.js';
import type { Services } from './services.js';

const FolderInfo = Type.Object({
  entity: Type.String(),
  path: Type.String(),
  fullPath: Type.String(),
  createdAt: Nullable(Type.String()),
});

const Where = Type.Object({
  entity: Type.String(),
  path: Type.String({ description: "project path below the entity; '' for its root folder" }),
});

export function folderRoutes(app: FastifyInstance, s: Services, folders: FolderService): void {
  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/entities',
    {
      schema: {
        summary: 'Entities (the roots of the folder trees), by name, paginated',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ description: 'entities per page; 1 to 1000' })),
          cursor: Type.Optional(Type.String({ description: 'nextCursor of the page before' })),
        }),
        response: {
          200: page(Type.Object({ name: Type.String(), createdAt: Type.String() })),
          ...errors,
        },
      },
    },
    async (req) => {
      const { limit, cursor } = req.query;
      return folders.entities({
        ...(limit !== undefined ? { limit } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
    },
  );

  app.post<{ Body: FolderCreate }>(
    '/folders',
    {
      schema: {
        summary: 'Create a folder (parents: true also creates missing parents, as mkdir -p)',
        body: Type.Object({
          entity: Type.String(),
          path: Type.String(),
          parents: Type.Optional(Type.Boolean()),
        }),
        response: { 200: FolderInfo, ...errors },
      },
    },
    async (req) => folders.create(req.body),
  );

  app.get<{ Querystring: { entity: string; path: string; limit?: number; cursor?: string } }>(
    '/folders',
    {
      schema: {
        summary:
          'A folder with a page of its direct subfolders (by path) and then its artifacts (by name)',
        querystring: Type.Object({
          ...Where.properties,
          limit: Type.Optional(
            Type.Integer({ description: 'entries (subfolders + artifacts) per page; 1 to 1000' }),
          ),
          cursor: Type.Optional(Type.String({ description: 'nextCursor of the page before' })),
        }),
        response: {
          200: Type.Object({
            folder: FolderInfo,
            folders: Type.Array(FolderInfo),
            artifacts: Type.Array(CollectionInfo),
            nextCursor: Type.Optional(
              Type.String({ description: 'present while entries remain; pass it as cursor' }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const { entity, path, limit, cursor } = req.query;
      return folders.list(entity, path, {
        ...(limit !== undefined ? { limit } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
    },
  );

  app.post<{ Body: FolderMove }>(
    '/folders/move',
    {
      schema: {
        summary: 'Move or rename a folder with everything below it, in one transaction',
        body: Type.Object({
          entity: Type.String(),
          path: Type.String(),
          toEntity: Type.Optional(Type.String()),
          toPath: Type.String(),
          parents: Type.Optional(Type.Boolean()),
        }),
        response: { 200: FolderInfo, ...errors },
      },
    },
    async (req) => folders.move(req.body),
  );

  app.delete<{ Querystring: { entity: string; path: string; recursive?: boolean } }>(
    '/folders',
    {
      schema: {
        summary: 'Delete a folder; refused while not empty unless recursive=true',
        querystring: Type.Object({
          entity: Type.String(),
          path: Type.String(),
          recursive: Type.Optional(Type.Boolean()),
        }),
        response: {
          200: Type.Object({
            deleted: Type.Literal(true),
            folders: Type.Integer(),
            versions: Type.Integer(),
          }),
          ...errors,
        },
      },
    },
    async (req) => folders.remove(req.query.entity, req.query.path, req.query.recursive === true),
  );

  app.post<{ Params: { id: string }; Body: PlacedCommitRequest }>(
    '/uploads/:id/place',
    {
      schema: {
        summary:
          'Commit into a folder with a conflict strategy (skip, error, new, replace, version) for a name already there',
        params: Type.Object({ id: Type.String() }),
        body: Type.Intersect([
          CommitRequest,
          Type.Object({
            placement: Type.Object({
              conflictStrategy: Type.String(),
              alternativeName: Type.Optional(Type.String()),
            }),
          }),
        ]),
        response: {
          200: Type.Object({
            version: VersionInfo,
            created: Type.Boolean(),
            outcome: Type.String(),
            retired: Type.Array(Type.String()),
          }),
          ...errors,
        },
      },
    },
    async (req) => s.uploads.place(req.params.id, req.body),
  );
}
