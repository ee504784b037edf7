export { Cairn } from './cairn.js';
export { Artifact } from './artifact.js';
export { DEFAULT_ARTIFACT_TYPE } from './artifact-options.js';
export { Folders } from './folders.js';
export type {
  DeleteFolderOptions,
  FolderPageOptions,
  ListFolderOptions,
  MakeFolderOptions,
  MoveFolderOptions,
} from './folders.js';
export { DEFAULT_ARTIFACT_DIR, SIDECAR_FILE } from './t9k.js';
export type { ArtifactDict, ArtifactObject, RemoteRecord } from './t9k.js';
export { Run, DEFAULT_HEARTBEAT_INTERVAL_MS } from './run.js';
export type { InitOptions, LogArtifactOptions } from './run.js';
export type { LineageOptions, OutputRecorder } from './lineage.js';
export type {
  AddDirOptions,
  AddFileOptions,
  ArtifactEntry,
  ArtifactManifest,
  ArtifactOptions,
  DownloadArtifactOptions,
  FilePolicy,
  FromDictOptions,
  UploadOptions,
  NewFileHandle,
  SaveOptions,
} from './artifact-options.js';
export type { CairnOptions, ClientContext } from './context.js';
export { DEFAULT_ENTITY, DEFAULT_PROJECT, DEFAULT_URL } from './context.js';
export { FilesIterator } from './files-iterator.js';
export type { FilesOptions } from './files-iterator.js';
export type { ReferenceOptions } from './references.js';
export { configureObjectStores } from './object-stores/config.js';
export type {
  AzureStoreOptions,
  GcsStoreOptions,
  ObjectStoreOptions,
  S3StoreOptions,
} from './object-stores/config.js';
export type { UploadStats } from './upload.js';
export type { DownloadResult } from './download.js';
export { BlobCache, DEFAULT_CACHE_MAX_BYTES } from './cache.js';
export { CairnError, toWandbManifest } from '@cairn/core';
export type {
  ConflictStrategy,
  FolderDeleteResult,
  FolderInfo,
  FolderListing,
  ManifestEntry,
  VersionInfo,
  WandbManifestV1,
} from '@cairn/core';
export type {
  LineageDirection,
  LineageEdge,
  LineageGraph,
  LineageNode,
  OpenLineageEvents,
  OpenLineageRunEvent,
  RunInfo,
  RunState,
} from '@cairn/core';
export type { ProgressListener, TransferProgress } from './progress.js';
