import { Type, type TSchema } from '@sinclair/typebox';

/**
 * Route schemas for the OpenAPI document and for shape checks. They check structure only; the
 * naming and content rules live in @cairn/core so the error names the rule that was broken.
 */
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
  description: Type.Union([Type.String(), Type.Null()]),
  metadata: Metadata,
  aliases: Strings,
  tags: Strings,
  size: Type.Integer(),
  fileCount: Type.Integer(),
  commitHash: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  ttlMs: Type.Union([Type.Integer(), Type.Null()]),
  ttlInherited: Type.Boolean(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  source: Type.Union([
    Type.Object({
      id: Type.String(),
      entity: Type.String(),
      project: Type.String(),
      collection: Type.String(),
      index: Type.Integer(),
    }),
    Type.Null(),
  ]),
  historyStep: Type.Union([Type.Integer(), Type.Null()]),
});

export const CollectionInfo = Type.Object({
  id: Type.String(),
  entity: Type.String(),
  project: Type.String(),
  name: Type.String(),
  type: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
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
  description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  metadata: Type.Optional(Type.Unknown()),
  aliases: Type.Optional(Type.Unknown()),
  tags: Type.Optional(Type.Unknown()),
  entries: Type.Array(Type.Unknown()),
});

export const VersionUpdate = Type.Object({
  ttlMs: Type.Optional(Type.Unknown()),
  description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  metadata: Type.Optional(Type.Unknown()),
  aliases: Type.Optional(Type.Unknown()),
  tags: Type.Optional(Type.Unknown()),
});
