import {
  CairnError,
  manifestDigest,
  manifestSize,
  normalizeEntryPath,
  sortEntries,
  toWandbManifest,
} from '@cairn/core';
import type {
  ConflictStrategy,
  FolderPlacement,
  ManifestEntry,
  WandbManifestV1,
} from '@cairn/core';
import type { ClientContext } from './context.js';
import type { OutputRecorder } from './lineage.js';
import type { ProgressListener } from './progress.js';
import type { ReferenceOptions } from './references.js';
import type { T9kPersisted } from './t9k.js';

/**
 * What the Artifact class is given and gives back (options, manifests, entries), and the pure
 * helpers it builds them with: the class itself is about state, these are about shapes.
 */
/** The type of artifacts made t9k-style, which have none. */
export const DEFAULT_ARTIFACT_TYPE = 'artifact';

export type FilePolicy = 'immutable' | 'mutable';

export interface ArtifactOptions {
  name: string;
  /** Default `artifact` (t9k artifacts have no type). */
  type?: string;
  description?: string | null;
  metadata?: Record<string, unknown>;
  /** t9k's labels: the artifact's tags. */
  labels?: string[];
}

export interface UploadOptions {
  /**
   * The folder to upload into; default `default`. Without a leading `/` it is taken under the
   * client's entity (`/<entity>/<folder>`), as t9k does.
   */
  folder?: string;
  /** Create the folder and its missing parents; otherwise a missing folder is NOT_FOUND. */
  makeFolder?: boolean;
  /**
   * When the folder already holds an artifact of this name: `skip` (upload nothing, return the
   * existing one), `error` (CONFLICT), `new` (default; upload under `alternativeName`),
   * `replace` (the old artifact is deleted and this one takes its name, atomically) or
   * `version` (a new version of the existing artifact, as W&B's `save()`).
   */
  conflictStrategy?: ConflictStrategy;
  client?: { readonly context: ClientContext };
  aliases?: string[];
  onProgress?: ProgressListener;
  run?: OutputRecorder;
}

export interface FromDictOptions {
  /** The client a logged artifact talks through; default one configured from CAIRN_*. */
  client?: { readonly context: ClientContext };
}

export interface T9kLog {
  placement: FolderPlacement;
  persisted: T9kPersisted;
}

export interface AddFileOptions {
  /** Path inside the artifact; default the file's base name. */
  name?: string;
  /** Replace an entry already at that path (otherwise that is a CONFLICT). */
  overwrite?: boolean;
  /**
   * 'immutable' (default): the file is read when the artifact is logged; if it changes in
   * between or during the upload, the log fails naming it (a wrong digest is never stored).
   * 'mutable': snapshot the file now (reflink copy where the filesystem supports it), so later
   * edits do not affect this artifact.
   */
  policy?: FilePolicy;
}

export interface AddDirOptions {
  /** Directory inside the artifact; default the root. */
  name?: string;
  /** Replace entries already added from other local files (otherwise a CONFLICT). */
  merge?: boolean;
  policy?: FilePolicy;
}

export interface SaveOptions {
  /** The client to log through; default one configured from the CAIRN_* environment. */
  client?: { readonly context: ClientContext };
  entity?: string;
  project?: string;
  aliases?: string[];
  tags?: string[];
  /** Called with files/bytes done while hashing, uploading and committing. */
  onProgress?: ProgressListener;
  /**
   * The run that logs this artifact; default the active run (`cairn.init`), else a new version
   * gets an automatic run (job type `auto`), as W&B's `save()` does.
   */
  run?: OutputRecorder;
}

export interface DownloadArtifactOptions {
  /** Default `./artifacts/<collection>:vN`. */
  root?: string;
  /** Only entries below this directory. */
  pathPrefix?: string;
  /** Write straight into the root without filling the local cache. */
  skipCache?: boolean;
  /** Skip references that cannot be read instead of failing. */
  allowMissingReferences?: boolean;
  /** Called with files/bytes done while downloading and placing. */
  onProgress?: ProgressListener;
}

/** A manifest as the SDK hands it out: sorted entries plus W&B's digest and export. */
export interface ArtifactManifest {
  version: 1;
  entries: ManifestEntry[];
  digest: string;
  size: number;
  toWandbManifest(): WandbManifestV1;
}

export interface NewFileHandle {
  /** The local temp file behind the handle. */
  readonly path: string;
  /** The entry path it will have in the artifact. */
  readonly name: string;
  write(data: string | Uint8Array): Promise<void>;
  /** Adds the file to the artifact. */
  close(): Promise<string>;
}

/** A manifest entry as `getEntry` returns it: with the id of the logged artifact holding it. */
export interface ArtifactEntry extends ManifestEntry {
  artifactId?: string;
}

/**
 * A reference to an entry of another logged artifact. It is resolved now, recursively: an entry
 * that is itself a reference keeps pointing at the original URI, and stored bytes are named by
 * their SHA-256 so this version holds them too (garbage collection keeps them while it lives).
 */
export function artifactReference(e: ArtifactEntry, options: ReferenceOptions): ManifestEntry {
  if (e.artifactId === undefined) {
    throw new CairnError(
      'VALIDATION',
      `entry ${JSON.stringify(e.path)} belongs to a draft; only entries of logged artifacts can be referenced`,
      { rule: 'reference.draft' },
    );
  }
  const path = normalizeEntryPath(options.name ?? e.path);
  return {
    path,
    digest: e.digest,
    size: e.size,
    ...(e.sha256 !== undefined ? { sha256: e.sha256 } : {}),
    ref: e.ref ?? `cairn-artifact://${e.artifactId}/${encodeURI(e.path)}`,
    birthArtifactId: e.birthArtifactId ?? e.artifactId,
    ...(e.extra !== undefined ? { extra: e.extra } : {}),
  };
}

export function makeManifest(entries: ManifestEntry[]): ArtifactManifest {
  const sorted = sortEntries(entries);
  return {
    version: 1,
    entries: sorted,
    digest: manifestDigest(sorted),
    size: manifestSize(sorted),
    toWandbManifest: () => toWandbManifest(sorted),
  };
}

export function notLogged(what: string): CairnError {
  return new CairnError(
    'ARTIFACT_NOT_LOGGED',
    `${what} needs a logged artifact; save() this draft first`,
  );
}
