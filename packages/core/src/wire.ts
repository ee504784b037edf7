/**
 * The native REST API's request and response bodies, shared by the server (which validates them
 * with its route schemas) and the SDK. Everything here is JSON; bytes move over the blob routes
 * listed in `routes` below, framed as in `framing.ts` when many blobs share one stream.
 *
 * Routes (all under /api/v1; a project path may contain `/`, so entity and project travel as
 * query parameters or body fields, never as path segments):
 *
 *   GET    /health                                   -> { ok: true, version }
 *   GET    /collections?entity&project[&type][&limit][&cursor]          -> Page<CollectionInfo>
 *   GET    /versions?entity&project&collection[&limit][&cursor]         -> Page<VersionInfo>
 *   GET    /versions/resolve?ref=ENTITY/PROJECT/NAME[:ALIAS|:vN]        -> VersionInfo
 *          (also ?ref=ENTITY/PROJECT/NAME@DIGEST or a version id alone)
 *   GET    /versions/:id                                                -> VersionInfo
 *   PATCH  /versions/:id            VersionUpdate                       -> VersionInfo
 *   DELETE /versions/:id[?deleteAliases=true]                           -> { deleted: true }
 *   GET    /versions/:id/manifest                                       -> ManifestBody
 *   GET    /versions/:id/files[?names=a,b][&limit][&cursor]             -> Page<ManifestEntry>
 *   GET    /versions/:id/file?path=P       bytes of one entry, HTTP Range supported
 *   GET    /blobs/:sha256                  bytes of one blob, HTTP Range supported
 *   PUT    /blobs/:sha256                  raw body; stored only if its SHA-256 matches -> BlobInfo
 *   POST   /blobs                          raw body of unknown hash; the server hashes -> BlobInfo
 *   POST   /blobs/missing       { sha256: string[] }                    -> { missing: string[] }
 *   POST   /blobs/batch         { sha256: string[] }  -> framed stream (application/x-cairn-frames)
 *   POST   /packs                          framed stream of small blobs -> { stored: BlobInfo[] }
 *   POST   /uploads             UploadStart                             -> UploadSession
 *   POST   /uploads/:id/commit  CommitRequest                           -> CommitResult
 *   DELETE /uploads/:id                                                 -> { aborted: true }
 *   GET    /openapi.json                   the OpenAPI document of all of the above
 *
 * Errors: any non-2xx answer has the body `ErrorBody` from errors.ts.
 */

export const API_PREFIX = '/api/v1';
export const FRAMES_CONTENT_TYPE = 'application/x-cairn-frames';

/** One file (or reference) of an artifact version. Paths are normalized POSIX relative paths. */
export interface ManifestEntry {
  path: string;
  /** base64 MD5 of the bytes (W&B's entry digest), or for references the ETag / URI as W&B does. */
  digest: string;
  size: number;
  /** hex SHA-256 of the bytes; absent for references, whose bytes Cairn does not store. */
  sha256?: string;
  /** The reference URI, for entries whose bytes live elsewhere. */
  ref?: string;
  /** Id of the version that first stored these bytes under this path (incremental versions). */
  birthArtifactId?: string;
  extra?: Record<string, unknown>;
}

export type VersionState = 'PENDING' | 'COMMITTED' | 'DELETED';

export interface VersionInfo {
  id: string;
  entity: string;
  project: string;
  collection: string;
  type: string;
  /** The version number N of `vN`. */
  index: number;
  /** Artifact digest (hex MD5 over the sorted manifest, W&B-compatible). */
  digest: string;
  state: VersionState;
  description: string | null;
  metadata: Record<string, unknown>;
  aliases: string[];
  tags: string[];
  size: number;
  fileCount: number;
  commitHash: string;
  createdAt: string;
  updatedAt: string;
}

export interface CollectionInfo {
  id: string;
  entity: string;
  project: string;
  name: string;
  type: string;
  description: string | null;
  versionCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; absent on the last page. */
  nextCursor?: string;
}

export interface ManifestBody {
  version: 1;
  entries: ManifestEntry[];
}

export interface VersionUpdate {
  description?: string | null;
  metadata?: Record<string, unknown>;
  /** The full desired list of user aliases (`latest` and `vN` are managed by the server). */
  aliases?: string[];
  tags?: string[];
}

export interface BlobInfo {
  sha256: string;
  /** base64 MD5 */
  md5: string;
  size: number;
}

export interface UploadStart {
  entity: string;
  project: string;
  collection: string;
  type: string;
  /** SHA-256 of every stored (non-reference) entry the client means to commit. */
  sha256: string[];
}

export interface UploadSession {
  uploadId: string;
  /** The subset of `sha256` the server does not have: send only these. */
  missing: string[];
  expiresAt: string;
}

export interface CommitRequest {
  description?: string | null;
  metadata?: Record<string, unknown>;
  aliases?: string[];
  tags?: string[];
  entries: ManifestEntry[];
}

export interface CommitResult {
  version: VersionInfo;
  /** false when the content equals the collection's latest: no version was created. */
  created: boolean;
}

export interface HealthBody {
  ok: true;
  version: string;
}
