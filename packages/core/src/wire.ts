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
  /** Effective time to live in milliseconds (own or the project's default); null = never. */
  ttlMs: number | null;
  /** True when the version follows its project's default rather than a policy of its own. */
  ttlInherited: boolean;
  /** When the expiry sweep deletes it (createdAt + ttlMs), or null. */
  expiresAt: string | null;
  /** For a registry link: the version it links to (its content is that version's). */
  source: LinkSource | null;
  /**
   * W&B `historyStep`: the last step with logged history (`run.log`) of the run that first
   * logged this version, when it logged it; null when that run had logged none. A link shows
   * its source's.
   */
  historyStep: number | null;
}

export interface LinkSource {
  id: string;
  entity: string;
  project: string;
  collection: string;
  index: number;
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
  /** Milliseconds to live from creation; null = never; 'inherit' = the project's default. */
  ttlMs?: number | null | 'inherit';
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

/** At most this many hashes per `POST /blobs/local`. */
export const LOCAL_BLOBS_MAX_HASHES = 1000;

/**
 * `POST /blobs/local`: where blobs lie as files of the server's machine, for a client on that
 * machine to copy or read instead of download. Only a filesystem store answers, only to a peer
 * on loopback. Blobs stored alone are whole files; with `packed: true` in the request, blobs
 * inside larger packs are answered too, with the `offset` where their bytes start.
 */
export interface LocalBlobFiles {
  items: LocalBlobFile[];
}

/** Where a blob's bytes lie on the server's machine: a whole file, or a range of a pack. */
export interface LocalBlobFile {
  sha256: string;
  size: number;
  path: string;
  /** Set for a blob inside a pack with other bytes: where its bytes start in that file. */
  offset?: number;
}

export interface UploadStart {
  entity: string;
  project: string;
  collection: string;
  type: string;
  /** SHA-256 of every stored (non-reference) entry the client means to commit. */
  sha256: string[];
  /**
   * The subset of `sha256` whose MD5 the client has not computed (large files it hashed with
   * SHA-256 only): the session answers the stored ones in `described`, and the upload of each
   * missing one answers its MD5 in its BlobInfo. Hashing MD5 once, on the server, instead of on
   * both sides halves the CPU a large log costs.
   */
  describe?: string[];
}

export interface UploadSession {
  uploadId: string;
  /** The subset of `sha256` the server does not have: send only these. */
  missing: string[];
  expiresAt: string;
  /** The BlobInfo of each hash in `describe` the server has (absent when nothing was asked). */
  described?: BlobInfo[];
}

export interface CommitRequest {
  /** Milliseconds to live; null = never (even with a project default); absent = inherit. */
  ttlMs?: number | null;
  description?: string | null;
  metadata?: Record<string, unknown>;
  aliases?: string[];
  tags?: string[];
  entries: ManifestEntry[];
  /**
   * Other upload sessions of the same log (its early batches) to abandon once the commit holds
   * their blobs, as `DELETE /uploads/:id` of each would, in the commit's own request.
   */
  releaseUploads?: string[];
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

// ---- Runs and lineage ------------------------------------------------------------------------
/*
 * Runs are SageMaker actions in the lineage graph (ARN `formatArn('action', runId)`), artifact
 * versions are artifacts (`formatArn('artifact', versionId)`). Edges live in the `associations`
 * table shared with the SageMaker face: `useArtifact` records `version ContributedTo run`,
 * `logArtifact` records `run Produced version`. Routes (under /api/v1):
 *
 *   POST   /runs                 RunCreate                         -> RunInfo (state `running`)
 *          With `inputs`, `outputs` and `finish` a run is recorded whole in one transaction:
 *          its edges and its end (an automatic run of a save outside any run is one request,
 *          never a running run left behind by a client that died between requests). An
 *          unknown or deleted version → NOT_FOUND naming it, and no run is created.
 *   GET    /runs/:id                                               -> RunInfo
 *   PATCH  /runs/:id             RunUpdate                         -> RunInfo
 *          `heartbeat` keeps the run alive (a crashed run that beats again is running again);
 *          `step` sets historyStep (never backwards); `finish` ends it: exit code 0 → finished,
 *          anything else → failed. A finished or failed run accepts no further change (CONFLICT).
 *   POST   /runs/:id/inputs      RunArtifactLink                   -> LineageEdge (ContributedTo)
 *   POST   /runs/:id/outputs     RunArtifactLink                   -> LineageEdge (Produced)
 *          Idempotent; the version must be live (NOT_FOUND otherwise), the run not ended.
 *   GET    /runs/:id/openlineage                                   -> OpenLineageEvents
 *          START (with inputs), then COMPLETE or FAIL (inputs and outputs) once the run ended.
 *   GET    /versions/:id/runs?direction=producer|consumers         -> { items: RunInfo[] }
 *          producer: runs that logged the version, first logger first; consumers: runs that
 *          used it, in the order they did.
 *   GET    /lineage?ref=REF[&direction=upstream|downstream|both][&depth=N]  -> LineageGraph
 *          REF is an artifact ref `entity/project/name[:alias|@digest]`, a version or run id,
 *          or any ARN of the graph. upstream follows edges backwards (what it came from),
 *          downstream forwards (what came of it); default both, depth 10 (edges from the
 *          root), at most MAX_LINEAGE_DEPTH → VALIDATION naming the limit. Unknown REF →
 *          NOT_FOUND. Cycles are safe: each node appears once, at its smallest depth.
 *          `&limit=N` caps the nodes (default DEFAULT_LINEAGE_NODE_LIMIT, at most
 *          MAX_LINEAGE_NODE_LIMIT); a capped answer says `truncated: true`.
 *
 * A run whose client stops sending heartbeats for the server's heartbeat timeout (default 5
 * minutes) is reported, and stored, as `crashed`.
 */

export type RunState = 'running' | 'finished' | 'failed' | 'crashed';

export interface RunCreate {
  entity: string;
  project: string;
  /** Display name; default `run-<first 8 hex digits of the id>`. */
  name?: string | null;
  /** W&B's job_type (`train`, `eval`, …); automatic runs use `auto`. */
  jobType?: string | null;
  config?: Record<string, unknown>;
  /** Versions the run used (`version ContributedTo run`), as POST /runs/:id/inputs records. */
  inputs?: string[];
  /** Versions the run logged (`run Produced version`), as POST /runs/:id/outputs records. */
  outputs?: string[];
  /** Ends the run at once, as PATCH /runs/:id with `finish` does. */
  finish?: { exitCode: number };
}

export interface RunInfo {
  /** 32 hex digits. */
  id: string;
  /** The run's node in the lineage graph (a SageMaker action ARN). */
  arn: string;
  entity: string;
  project: string;
  name: string;
  jobType: string | null;
  config: Record<string, unknown>;
  state: RunState;
  exitCode: number | null;
  /** The run's history step (W&B `historyStep`). */
  step: number;
  heartbeatAt: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface RunUpdate {
  heartbeat?: boolean;
  step?: number;
  finish?: { exitCode: number };
}

export interface RunArtifactLink {
  versionId: string;
}

export type RunsDirection = 'producer' | 'consumers';

export const LINEAGE_EDGE_CONTRIBUTED_TO = 'ContributedTo';
export const LINEAGE_EDGE_PRODUCED = 'Produced';
export const DEFAULT_LINEAGE_DEPTH = 10;
export const MAX_LINEAGE_DEPTH = 100;
/** Nodes in one lineage answer: `limit` defaults to this… */
export const DEFAULT_LINEAGE_NODE_LIMIT = 1_000;
/** …and may be raised to this (VALIDATION above it, naming the limit). */
export const MAX_LINEAGE_NODE_LIMIT = 5_000;

export type LineageDirection = 'upstream' | 'downstream' | 'both';

export interface LineageEdge {
  /** ARN of the source node (for ContributedTo the artifact, for Produced the run). */
  source: string;
  dest: string;
  type: string;
  createdAt: string;
}

/** An artifact version as a lineage node (no aliases or tags: a graph may hold thousands). */
export interface LineageArtifact {
  id: string;
  entity: string;
  project: string;
  collection: string;
  type: string;
  index: number;
  digest: string;
  state: VersionState;
  /** `entity/project/collection:vN` */
  ref: string;
}

export interface LineageNode {
  arn: string;
  /** `artifact` and `run` come with details; other kinds (SageMaker contexts, actions) only the ARN. */
  kind: 'artifact' | 'run' | 'context' | 'action' | 'other';
  id: string;
  /** Edges from the root (0 for the root). */
  depth: number;
  /** A short human name: the artifact ref, the run name, or the ARN's id. */
  label: string;
  artifact?: LineageArtifact;
  run?: RunInfo;
}

export interface LineageGraph {
  /** ARN of the node the query started from. */
  root: string;
  direction: LineageDirection;
  depth: number;
  /** The node cap this answer was computed with. */
  limit: number;
  /**
   * True when more nodes lie within the depth than the cap: `nodes` holds the `limit` nearest
   * (breadth first), `edges` only those between returned nodes. Raise `limit` or lower `depth`.
   */
  truncated: boolean;
  nodes: LineageNode[];
  edges: LineageEdge[];
}

/** https://openlineage.io/spec/2-0-2/OpenLineage.json — the parts Cairn fills in. */
export interface OpenLineageDataset {
  namespace: string;
  name: string;
}

export interface OpenLineageRunEvent {
  eventType: 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER';
  eventTime: string;
  run: { runId: string };
  job: { namespace: string; name: string };
  inputs: OpenLineageDataset[];
  outputs: OpenLineageDataset[];
  producer: string;
  schemaURL: string;
}

export interface OpenLineageEvents {
  events: OpenLineageRunEvent[];
}

/**
 * Garbage collection on demand (the server also sweeps every CAIRN_GC_INTERVAL_MS):
 *   POST /gc   GcRequest -> GcReport
 * See docs/storage-invariants.md for the order it works in.
 */
export interface GcRequest {
  /** How long unlinked bytes stay readable before deletion; default one hour. */
  graceMs?: number;
  /** Repack packs whose live share is below this fraction; default 0.5. */
  repackBelow?: number;
}

export interface GcReport {
  versionsExpired: number;
  blobsUnlinked: number;
  bytesUnlinked: number;
  packsDropped: number;
  packsRepacked: number;
  orphansFound: number;
  objectsDeleted: number;
  durationMs: number;
}

/**
 * A project's default time to live for versions that inherit theirs (W&B's team default TTL):
 *   PUT /projects/ttl   ProjectTtl -> ProjectTtl
 * Expired versions are deleted (state DELETED, aliases released) by the server's sweep.
 */
export interface ProjectTtl {
  entity: string;
  project: string;
  ttlMs: number | null;
}

/**
 * Registries hold collections of links to artifact versions (W&B's registry). A registry
 * collection lives at `registry/<registry>/<collection>` (entity `registry`, project the
 * registry's name); W&B's `wandb-registry-<registry>/<collection>` is accepted as well.
 *   POST /registries/collections  RegistryCollectionCreate      -> CollectionInfo
 *   POST /versions/:id/links      LinkRequest                   -> VersionInfo of the link
 *   GET  /versions/:id/links                                    -> { items: VersionInfo[] }
 * A link is a version of the registry collection (its own vN, aliases, `latest`) whose content
 * is the source's. DELETE of a link only unlinks; a source with live links cannot be deleted.
 */
export interface RegistryCollectionCreate {
  registry: string;
  name: string;
  type: string;
  description?: string | null;
}

export interface LinkRequest {
  /** `registry/<registry>/<collection>` or `wandb-registry-<registry>/<collection>`. */
  target: string;
  aliases?: string[];
}

// ---- Direct transfer: clients move bytes to and from the object store ----------------------
/*
 * When blobs live in an object store clients can reach (S3 with presigned URLs), the server only
 * signs and verifies; the bytes go between client and bucket:
 *   GET  /direct                                               -> DirectTransferInfo
 *   POST /direct/uploads/:id/targets   DirectUploadRequest     -> DirectUploadTargets
 *   POST /direct/uploads/:id/complete  DirectUploadComplete    -> { stored: BlobInfo[] }
 *   POST /direct/blobs/locate          { sha256: string[] }    -> BlobLocations
 * A target accepts one `PUT` of the object's bytes, with a Content-Length: a pack is a framed
 * stream exactly as `POST /packs` takes it, a large blob its raw bytes. `complete` makes the
 * server copy each uploaded object to a key no client can write, read it back and check every
 * SHA-256 and size; only then are its blobs indexed (a mismatch indexes nothing and deletes the
 * object). A location's bytes are `[offset, offset + size)` of the object at `url`: fetch them
 * with `GET` and a `Range` header. Without direct transfer (the filesystem store) GET /direct
 * answers `{ enabled: false }` and everything goes through the blob routes above.
 */
export interface DirectTransferInfo {
  enabled: boolean;
  /** Largest object one target accepts; bigger blobs go through `PUT /blobs/:sha256`. */
  maxObjectBytes: number;
}

export interface DirectUploadRequest {
  /** How many packs the client will PUT. */
  packs: number;
  /** Large blobs, each PUT alone. */
  blobs: { sha256: string; size: number }[];
}

export interface DirectTarget {
  /** Names the uploaded object in `complete`. */
  id: string;
  /** Presigned URL for one PUT. */
  url: string;
}

export interface DirectUploadTargets {
  /** The URLs stop working after this. */
  expiresAt: string;
  packs: DirectTarget[];
  /** In the order of the request's `blobs`. */
  blobs: (DirectTarget & { sha256: string })[];
}

export interface DirectUploadComplete {
  /** Ids of pack targets that were PUT. */
  packs?: string[];
  /** Large-blob targets that were PUT, with the SHA-256 their bytes must have. */
  blobs?: { id: string; sha256: string }[];
}

export interface BlobLocation {
  sha256: string;
  size: number;
  url: string;
  offset: number;
}

export interface BlobLocations {
  expiresAt: string;
  items: BlobLocation[];
}

// ---- Folders and t9k-style uploads -------------------------------------------------------------
/*
 * A folder is a project path (DESIGN.md "Naming"): `/alice/vision/mnist` = entity `alice`,
 * project `vision/mnist`; the artifacts in it are that project's collections. Routes (under
 * /api/v1; `path` is the project path below the entity, '' for the entity's root):
 *
 *   GET    /entities[?limit][&cursor]                       -> Page<EntityInfo>
 *          Every entity by name (the roots of the trees), default 50 a page, at most 1000.
 *   POST   /folders          FolderCreate                 -> FolderInfo
 *          `parents: true` creates missing parents and accepts an existing folder (mkdir -p);
 *          otherwise the parent must exist (NOT_FOUND) and the folder must not (CONFLICT).
 *   GET    /folders?entity&path[&limit][&cursor]          -> FolderListing
 *          A page of at most `limit` (default and most 1000) entries: subfolders by path
 *          first, then artifacts by name; `nextCursor` while more remain.
 *   POST   /folders/move     FolderMove                   -> FolderInfo (the new place)
 *          Moves (or renames) the folder with every subfolder and artifact below it, in one
 *          transaction; the destination must not exist (CONFLICT) and its parent must, unless
 *          `parents`. Artifacts keep their ids, versions and aliases; only their path changes.
 *   DELETE /folders?entity&path[&recursive=true]          -> FolderDeleteResult
 *          Refused (CONFLICT) while the folder holds artifacts or subfolders, unless recursive:
 *          then every version below is deleted and the folders go, in one transaction.
 *   POST   /uploads/:id/place   PlacedCommitRequest       -> PlacementResult
 *          The commit of t9k's `upload(folder, makeFolder, conflictStrategy)`: the folder must
 *          exist, and the strategy decides, inside the commit's transaction, what happens when
 *          the folder already holds an artifact with the upload's name.
 */

/** An entity (user or team): the root of a folder tree. `GET /entities` lists them by name. */
export interface EntityInfo {
  name: string;
  createdAt: string;
}

export interface FolderInfo {
  entity: string;
  path: string;
  /** `/entity/path` */
  fullPath: string;
  /** When the folder row was made; null for the entity's root and for implied parents. */
  createdAt: string | null;
}

export interface FolderListing {
  folder: FolderInfo;
  /** Direct subfolders, by path (this page's). */
  folders: FolderInfo[];
  /** The artifacts (collections with live versions) directly in this folder, by name (this page's). */
  artifacts: CollectionInfo[];
  /** Present while entries remain: pass it as `cursor` for the next page. */
  nextCursor?: string;
}

export interface FolderCreate {
  entity: string;
  path: string;
  parents?: boolean;
}

export interface FolderMove {
  entity: string;
  path: string;
  /** Default: the same entity. */
  toEntity?: string;
  toPath: string;
  parents?: boolean;
}

export interface FolderDeleteResult {
  deleted: true;
  folders: number;
  versions: number;
}

export interface FolderPlacement {
  /** 'skip' | 'error' | 'new' | 'replace' | 'version' (see ConflictStrategy in folders.ts). */
  conflictStrategy: string;
  /** The collection name `new` uploads under when the name is taken. */
  alternativeName?: string;
}

export interface PlacedCommitRequest extends CommitRequest {
  placement: FolderPlacement;
}

export interface PlacementResult extends CommitResult {
  /**
   * created: the name was free; skipped: nothing uploaded, `version` is the existing one;
   * renamed: uploaded under the alternative name; replaced: the previous artifact was retired;
   * versioned: a new version of the existing artifact (or `created: false` when unchanged).
   */
  outcome: 'created' | 'skipped' | 'renamed' | 'replaced' | 'versioned';
  /** For `replaced`: the ids of the versions that were deleted with the old artifact. */
  retired: string[];
}

// ---- Run history ---------------------------------------------------------------------------
/*
 * Run history (W&B `run.log`): one row of metrics per step.
 *   POST /runs/:id/history   RunLogRequest                       -> RunLogResult
 *        `step` defaults to the run's current step and may not go below it (VALIDATION);
 *        the run's step becomes step + 1. A step already logged is a CONFLICT. The metrics
 *        are a JSON object of at most MAX_RUN_LOG_BYTES serialized.
 *   GET  /runs/:id/history[?cursor=C][&limit=N]                  -> Page<RunHistoryRow>
 *        Oldest step first; `limit` default 1000, at most 10000.
 * When a run logs a version (POST /runs/:id/outputs) for the first time, the version keeps
 * the run's last logged step as its `historyStep`.
 */
export const MAX_RUN_LOG_BYTES = 256 * 1024;

export interface RunLogRequest {
  step?: number;
  data: Record<string, unknown>;
}

export interface RunLogResult {
  step: number;
  /** The run's step after this row (step + 1). */
  nextStep: number;
}

export interface RunHistoryRow {
  step: number;
  data: Record<string, unknown>;
  createdAt: string;
}
