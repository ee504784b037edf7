import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

/**
 * Route schemas for the OpenAPI document and for shape checks. They check structure only; the
 * naming and content rules live in @cairn/core so the error names the rule that was broken.
 */
/**
 * `schema` or null, as one schema whose `type` lists both, not TypeBox's Union (an `anyOf`):
 * fast-json-stringify writes an `anyOf` by running an ajv validator over each value, compiled
 * when a route first answers (about 40 ms per route on a fresh server, paid by the first commit,
 * the first resolve, ...), while a list of types is a `typeof` test. Ajv and the OpenAPI
 * document (`nullable: true`) read it the same way.
 */
export function Nullable<T extends TSchema & { type: string }>(
  schema: T,
): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}

export const Entry = Type.Object(
  {
    path: Type.String(),
    digest: Type.String(),
    size: Type.Integer({ minimum: 0 }),
    sha256: Type.Optional(Type.String()),
    ref: Type.Optional(Type.String()),
    birthArtifactId: Type.Optional(Type.String()),
    extra: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'ManifestEntry' },
);

const Strings = Type.Array(Type.String());
const Metadata = Type.Record(Type.String(), Type.Unknown());

export const VersionInfo = Type.Object({
  id: Type.String(),
  entity: Type.String(),
  project: Type.String(),
  collection: Type.String(),
  type: Type.String(),
  index: Type.Integer(),
  digest: Type.String(),
  state: Type.String(),
  description: Nullable(Type.String()),
  metadata: Metadata,
  aliases: Strings,
  tags: Strings,
  size: Type.Integer(),
  fileCount: Type.Integer(),
  commitHash: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  ttlMs: Nullable(Type.Integer()),
  ttlInherited: Type.Boolean(),
  expiresAt: Nullable(Type.String()),
  source: Nullable(
    Type.Object({
      id: Type.String(),
      entity: Type.String(),
      project: Type.String(),
      collection: Type.String(),
      index: Type.Integer(),
    }),
  ),
  historyStep: Nullable(Type.Integer()),
});

export const CollectionInfo = Type.Object({
  id: Type.String(),
  entity: Type.String(),
  project: Type.String(),
  name: Type.String(),
  type: Type.String(),
  description: Nullable(Type.String()),
  versionCount: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const BlobInfo = Type.Object({
  sha256: Type.String(),
  md5: Type.String(),
  size: Type.Integer(),
});

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});

export function page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Optional(Type.String()) });
}

export const errors = { '4xx': ErrorBody };

export const UploadStart = Type.Object({
  entity: Type.String(),
  project: Type.String(),
  collection: Type.String(),
  type: Type.String(),
  sha256: Strings,
  describe: Type.Optional(Strings),
});

export const UploadSession = Type.Object({
  uploadId: Type.String(),
  missing: Strings,
  expiresAt: Type.String(),
  described: Type.Optional(Type.Array(BlobInfo)),
});

export const CommitRequest = Type.Object({
  ttlMs: Type.Optional(Type.Unknown()),
  description: Type.Optional(Nullable(Type.String())),
  metadata: Type.Optional(Type.Unknown()),
  aliases: Type.Optional(Type.Unknown()),
  tags: Type.Optional(Type.Unknown()),
  entries: Type.Array(Type.Unknown()),
  releaseUploads: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })),
});

export const VersionUpdate = Type.Object({
  ttlMs: Type.Optional(Type.Unknown()),
  description: Type.Optional(Nullable(Type.String())),
  metadata: Type.Optional(Type.Unknown()),
  aliases: Type.Optional(Type.Unknown()),
  tags: Type.Optional(Type.Unknown()),
});
