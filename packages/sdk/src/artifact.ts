import { constants } from 'node:fs';
import { copyFile, mkdtemp, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import {
  CairnError,
  ConflictError,
  NotFoundError,
  ValidationError,
  formatFolderPath,
  isManagedAlias,
  isUnderPrefix,
  joinListedPath,
  normalizeDirPrefix,
  normalizeEntryPath,
  validateAliases,
  validateDescription,
  validateEntries,
  validateMetadata,
  validateName,
  validateProjectPath,
  validateTags,
  validateTtl,
  validateType,
} from '@cairn/core';
import type {
  PlacementResult,
  ManifestBody,
  ManifestEntry,
  LinkSource,
  VersionInfo,
  VersionState,
  VersionUpdate,
} from '@cairn/core';
import { createContext } from './context.js';
import type { ClientContext } from './context.js';
import { downloadEntries } from './download.js';
import type { DownloadResult } from './download.js';
import type { DraftItem, LocalFileItem } from './draft-items.js';
import { logDraft } from './draft-log.js';
import type { DraftLogOutcome } from './draft-log.js';
import { itemPath } from './draft-items.js';
import { FilesIterator } from './files-iterator.js';
import type { FilesOptions } from './files-iterator.js';
import { removeExtras, throwIfFailed, verifyTree } from './local-tree.js';
import { entryOf, prepareFiles } from './prepare.js';
import { walkFiles } from './dir-walk.js';
import { recordLogged, versionRuns } from './lineage.js';
import { resolveReference } from './references.js';
import { Run } from './run.js';
import type { ReferenceOptions } from './references.js';
import type { UploadStats } from './upload.js';
import { prepareFolderUpload } from './t9k-upload.js';
import {
  T9K_METADATA_KEY,
  artifactDir,
  copyInto,
  dirObjPath,
  fileObjPath,
  joinObjPath,
  makeAlternativeName,
  referenceObjPath,
  t9kOf,
} from './t9k.js';
import type { ArtifactDict, ArtifactObject, RemoteRecord, T9kPersisted } from './t9k.js';
import {
  continuedHistory,
  entriesOfObjects,
  itemsOfObjects,
  objectsOfEntries,
  objectsOfItems,
  writeSidecar as writeSidecarFile,
} from './t9k-objects.js';

import {
  DEFAULT_ARTIFACT_TYPE,
  artifactReference,
  makeManifest,
  notLogged,
} from './artifact-options.js';
import type {
  AddDirOptions,
  AddFileOptions,
  ArtifactEntry,
  ArtifactManifest,
  ArtifactOptions,
  DownloadArtifactOptions,
  FilePolicy,
  FromDictOptions,
  NewFileHandle,
  SaveOptions,
  T9kLog,
  UploadOptions,
} from './artifact-options.js';

/**
 * A set of files and references, versioned on a Cairn server: W&B's `Artifact` in camelCase.
 * A new Artifact is a draft; `save()` logs it as the next version `vN` of its collection, after
 * which its content is read-only (edit `newDraft()` instead) while description, metadata, aliases
 * and tags stay editable and are persisted by another `save()`.
 *
 * Content-derived values that may need hashing are async methods: `manifest()`, `digest()`,
 * `getEntry()`. `size` and `fileCount` are plain getters.
 */
export class Artifact {
  private _collection: string;
  private _type: string;
  private _description: string | null;
  private _metadata: Record<string, unknown>;
  private _ttl: number | null | 'inherit' = 'inherit';
  private readonly items = new Map<string, DraftItem>();
  private readonly localNames = new Map<string, string>();
  private finalized = false;
  private info: VersionInfo | undefined;
  private ctx: ClientContext | undefined;
  private entries: ManifestEntry[] | undefined;
  private saving: Promise<Artifact> | undefined;
  private staging: string | undefined;
  private stagedCopies = 0;
  /** Editable; persisted by `save()`. Includes `latest` / `vN` once logged (those are server-managed). */
  aliases: string[] = [];
  /** Editable; persisted by `save()`. */
  tags: string[] = [];
  /** After `save()` of a draft: false when the content equalled `latest`, so no version was created. */
  created: boolean | undefined;
  /** After `save()` of a draft: what the upload negotiation sent. */
  lastUpload: UploadStats | undefined;
  /** After `download()`: how many blobs came from the server (the rest from the cache). */
  lastDownload: DownloadResult | undefined;
  /** After `upload()`: what the conflict strategy did. */
  lastOutcome: PlacementResult['outcome'] | undefined;
  private _createdTimestamp: string;
  private _alternativeName: string;
  private _local: string;
  private _remote: RemoteRecord[] = [];
  private t9kStored: T9kPersisted | undefined;
  /** True once the logged files were downloaded into `local`. */
  private localFilled = false;

  /** W&B's `Artifact(name, type, …)`; t9k's `Artifact(metadata, objects)` (see `fromDict`). */
  constructor(
    options: ArtifactOptions,
    objects?: ArtifactObject[] | Record<string, Omit<ArtifactObject, 'path'>>,
  ) {
    this._collection = validateName(options.name);
    this._type = validateType(options.type ?? DEFAULT_ARTIFACT_TYPE);
    this._description = validateDescription(options.description);
    this._metadata = { ...validateMetadata(options.metadata) };
    if (options.labels !== undefined) this.tags = validateTags(options.labels);
    const at = new Date();
    this._createdTimestamp = at.toISOString();
    this._alternativeName = makeAlternativeName(this._collection, at);
    this._local = join(artifactDir(), this._alternativeName);
    if (objects !== undefined) {
      // t9k passes objects as a dict keyed by path; toDict() writes them as a list.
      this.restoreObjects(
        Array.isArray(objects)
          ? objects
          : Object.entries(objects).map(([path, o]) => ({ ...o, path })),
      );
    }
  }

  /** A logged artifact from its server record (used by `Cairn.artifact`). */
  static fromVersion(ctx: ClientContext, info: VersionInfo): Artifact {
    const a = new Artifact({ name: info.collection, type: info.type });
    a._createdTimestamp = info.createdAt;
    a.adopt(ctx, info);
    a._local = join(artifactDir(), a._alternativeName);
    return a;
  }

  private adopt(ctx: ClientContext, info: VersionInfo): void {
    this.ctx = ctx;
    this.info = info;
    this.finalized = true;
    this._collection = info.collection;
    this._type = info.type;
    this._description = info.description;
    this._metadata = { ...info.metadata };
    this._ttl = info.ttlInherited ? 'inherit' : info.ttlMs;
    this.aliases = [...info.aliases];
    this.tags = [...info.tags];
    // The t9k fields an upload stored travel in metadata but are not the user's metadata.
    const t9k = t9kOf(info.metadata);
    if (t9k) {
      this.t9kStored = t9k;
      this._alternativeName = t9k.alternativeName;
      this._createdTimestamp = t9k.createdTimestamp;
      delete this._metadata[T9K_METADATA_KEY];
    }
  }

  private logged(what: string): { ctx: ClientContext; info: VersionInfo } {
    if (!this.info || !this.ctx) throw notLogged(what);
    return { ctx: this.ctx, info: this.info };
  }

  private assertEditable(): void {
    if (this.finalized) {
      throw new CairnError(
        'ARTIFACT_FINALIZED',
        `artifact ${this.name} is ${this.info ? 'logged' : 'finalized'}; its files cannot change. Use newDraft() to make a new version`,
      );
    }
  }

  // ---- identity and metadata -------------------------------------------------------------

  /** `collection:vN` once logged; the name given to the constructor for a draft. */
  get name(): string {
    return this.info ? `${this.info.collection}:v${this.info.index}` : this._collection;
  }
  get collection(): string {
    return this._collection;
  }
  get type(): string {
    return this._type;
  }
  get id(): string | undefined {
    return this.info?.id;
  }
  get version(): string {
    return `v${this.logged('version').info.index}`;
  }
  get entity(): string {
    return this.logged('entity').info.entity;
  }
  get project(): string {
    return this.logged('project').info.project;
  }
  get qualifiedName(): string {
    const { info } = this.logged('qualifiedName');
    return `${info.entity}/${info.project}/${info.collection}:v${info.index}`;
  }
  get state(): VersionState {
    return this.info?.state ?? 'PENDING';
  }
  /**
   * W&B `historyStep`: the last history step (`run.log`) of the run that first logged this
   * version, at the time it did; null when that run had logged no history. A link shows its
   * source's.
   */
  get historyStep(): number | null {
    return this.logged('historyStep').info.historyStep ?? null;
  }

  // ---- registry links ---------------------------------------------------------------------

  /** True for a version linked into a registry collection (it shows its source's content). */
  get isLink(): boolean {
    return (this.info?.source ?? null) !== null;
  }
  private sourceOf(what: string): LinkSource {
    const { info } = this.logged(what);
    return (
      info.source ?? {
        id: info.id,
        entity: info.entity,
        project: info.project,
        collection: info.collection,
        index: info.index,
      }
    );
  }
  /** The source version's `collection:vN` (this artifact's own name when it is not a link). */
  get sourceName(): string {
    const src = this.sourceOf('sourceName');
    return `${src.collection}:v${src.index}`;
  }
  get sourceQualifiedName(): string {
    const src = this.sourceOf('sourceQualifiedName');
    return `${src.entity}/${src.project}/${src.collection}:v${src.index}`;
  }
  get sourceVersion(): string {
    return `v${this.sourceOf('sourceVersion').index}`;
  }
  get sourceEntity(): string {
    return this.sourceOf('sourceEntity').entity;
  }
  get sourceProject(): string {
    return this.sourceOf('sourceProject').project;
  }
  get sourceCollection(): string {
    return this.sourceOf('sourceCollection').collection;
  }

  /**
   * Links this version into a registry collection, `registry/<registry>/<collection>` (W&B's
   * `wandb-registry-<registry>/<collection>` too), with aliases there; returns the link.
   */
  async link(target: string, aliases: string[] = []): Promise<Artifact> {
    const { ctx, info } = this.logged('link()');
    const linked = await ctx.http.json<VersionInfo>('POST', `/versions/${info.id}/links`, {
      json: { target, aliases: validateAliases(aliases) },
    });
    return Artifact.fromVersion(ctx, linked);
  }

  /** Removes this link from its registry collection; the source version stays. */
  async unlink(): Promise<void> {
    if (!this.isLink) {
      throw new CairnError(
        'VALIDATION',
        `${this.qualifiedName} is not a registry link; delete() removes a version`,
      );
    }
    await this.delete({ deleteAliases: true });
  }

  /** The registry links of this version (or of this link's source). */
  async linkedArtifacts(): Promise<Artifact[]> {
    const { ctx, info } = this.logged('linkedArtifacts()');
    const page = await ctx.http.json<{ items: VersionInfo[] }>('GET', `/versions/${info.id}/links`);
    return page.items.map((v) => Artifact.fromVersion(ctx, v));
  }

  /** The version a link points at; this artifact itself when it is not a link. */
  async sourceArtifact(): Promise<Artifact> {
    const { ctx, info } = this.logged('sourceArtifact()');
    if (info.source === null) return this;
    const v = await ctx.http.json<VersionInfo>('GET', `/versions/${info.source.id}`);
    return Artifact.fromVersion(ctx, v);
  }
  get commitHash(): string {
    return this.logged('commitHash').info.commitHash;
  }
  get createdAt(): string {
    return this.logged('createdAt').info.createdAt;
  }
  get updatedAt(): string {
    return this.logged('updatedAt').info.updatedAt;
  }
  get url(): string {
    const { ctx, info } = this.logged('url');
    return ctx.http.urlOf(`/versions/${info.id}`);
  }
  /**
   * Time to live in milliseconds (W&B's `ttl`): the version is deleted by the server's sweep
   * that long after it was created. `null` = never, even if the project has a default;
   * `'inherit'` (the default) = the project's default. Persisted by `save()`.
   */
  get ttl(): number | null | 'inherit' {
    return this._ttl;
  }
  set ttl(value: number | null | 'inherit') {
    this._ttl = validateTtl(value);
  }

  /** When the server will delete this version under its time to live, or null. */
  get expiresAt(): string | null {
    return this.logged('expiresAt').info.expiresAt;
  }

  get description(): string | null {
    return this._description;
  }
  set description(value: string | null) {
    this._description = validateDescription(value);
  }
  get metadata(): Record<string, unknown> {
    return this._metadata;
  }
  set metadata(value: Record<string, unknown>) {
    this._metadata = { ...validateMetadata(value) };
  }
  get size(): number {
    if (this.info) return this.info.size;
    let total = 0;
    for (const item of this.items.values())
      total += item.kind === 'file' ? item.size : item.entry.size;
    return total;
  }
  get fileCount(): number {
    return this.info ? this.info.fileCount : this.items.size;
  }
  isDraft(): boolean {
    return this.info === undefined;
  }
  /** Freezes the content; an artifact is finalized when it is logged. */
  finalize(): void {
    this.finalized = true;
  }

  // ---- adding and removing content -------------------------------------------------------

  private async stagingDir(): Promise<string> {
    this.staging ??= await mkdtemp(join(tmpdir(), 'cairn-staging-'));
    return this.staging;
  }

  /**
   * Once logged, the staged copies (policy 'mutable', `newFile`) are in the version and nothing
   * reads them again: they go, as W&B removes its staging copies after upload. A failed log
   * keeps them for the retry.
   */
  private async dropStaging(): Promise<void> {
    const dir = this.staging;
    if (dir === undefined) return;
    this.staging = undefined;
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  private putItem(item: DraftItem, replace: boolean): void {
    const path = itemPath(item);
    const existing = this.items.get(path);
    if (existing && !replace) {
      const sameSource =
        existing.kind === 'file' && item.kind === 'file' && existing.localPath === item.localPath;
      if (!sameSource) {
        throw new CairnError(
          'CONFLICT',
          `the artifact already has an entry at ${JSON.stringify(path)}; pass overwrite (addFile) or merge (addDir) to replace it`,
          { path },
        );
      }
    }
    if (existing?.kind === 'file') this.forgetLocalNames(existing);
    this.items.set(path, item);
    if (item.kind === 'file') {
      this.localNames.set(item.localPath, path);
      if (item.addedFrom !== undefined) this.localNames.set(item.addedFrom, path);
    }
  }

  /** Drops the names a file item's local paths map to, where they still map to it. */
  private forgetLocalNames(item: LocalFileItem): void {
    for (const local of [item.localPath, item.addedFrom]) {
      if (local !== undefined && this.localNames.get(local) === item.path) {
        this.localNames.delete(local);
      }
    }
  }

  private async localItem(
    localPath: string,
    path: string,
    policy: FilePolicy,
    size: number,
  ): Promise<LocalFileItem> {
    if (policy !== 'immutable' && policy !== 'mutable') {
      throw new ValidationError(
        `policy must be 'mutable' or 'immutable', got ${JSON.stringify(policy)}`,
        {
          rule: 'policy',
        },
      );
    }
    let source = localPath;
    if (policy === 'mutable') {
      const dir = await this.stagingDir();
      // A name of its own for every copy: the number of items repeats after a remove.
      source = join(dir, `${this.stagedCopies++}-${basename(localPath)}`);
      await copyFile(localPath, source, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    }
    return { kind: 'file', path, localPath: source, size };
  }

  /**
   * Adds one local file; returns its entry path. With a string (or null) as second argument it
   * is t9k's `add_file(file_path, obj_path)`: the file is copied into `local` at its object path
   * (`'a/'` → `a/<file name>`, `'a/1.png'` → `a/1.png`, null → `<file name>`).
   */
  async addFile(localPath: string, options: AddFileOptions | string | null = {}): Promise<string> {
    if (typeof options === 'string' || options === null)
      return this.addObjectFile(localPath, options);
    this.assertEditable();
    const abs = resolve(localPath);
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isFile()) {
      throw new CairnError('NOT_FOUND', `${localPath} is not a file`, { localPath });
    }
    const path = normalizeEntryPath(options.name ?? basename(abs));
    const item = await this.localItem(abs, path, options.policy ?? 'immutable', st.size);
    if (item.localPath !== abs) item.addedFrom = abs;
    this.putItem(item, options.overwrite ?? false);
    return path;
  }

  /**
   * Adds every file below a local directory (file symlinks followed, directory symlinks not).
   * With a string (or null) as second argument it is t9k's `add_dir(dir_path, obj_path)`: the
   * directory is copied into `local` at its object path (`'b/'` → `b/<dir name>`, `'b/a'` →
   * `b/a`, null → `<dir name>`, '' → the root).
   */
  async addDir(localPath: string, options: AddDirOptions | string | null = {}): Promise<string[]> {
    if (typeof options === 'string' || options === null)
      return this.addObjectDir(localPath, options);
    this.assertEditable();
    const root = resolve(localPath);
    const st = await stat(root).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new CairnError('NOT_FOUND', `${localPath} is not a directory`, { localPath });
    }
    const prefix = normalizeDirPrefix(options.name);
    const found = await walkFiles(root);
    const merge = options.merge ?? false;
    const policy = options.policy ?? 'immutable';
    const added: string[] = [];
    for (const f of found) {
      const path = joinListedPath(prefix, f.rel);
      // The common case needs no copy: no promise per file.
      const size = f.stat.size;
      const item: LocalFileItem =
        policy === 'immutable'
          ? { kind: 'file', path, localPath: f.abs, size, addedStat: f.stat }
          : await this.localItem(f.abs, path, policy, size);
      if (item.localPath !== f.abs) item.addedFrom = f.abs;
      this.putItem(item, merge);
      added.push(path);
    }
    return added;
  }

  /** Adds `file://` or `http(s)://` references (their bytes are not uploaded); returns the paths. */
  async addReference(
    uri: string | ArtifactEntry,
    objPath: ReferenceOptions | string | null = {},
  ): Promise<string[]> {
    this.assertEditable();
    // t9k's `add_reference(uri, obj_path)`: the object path, with a trailing '/' meaning inside.
    let options: ReferenceOptions;
    if (typeof objPath === 'string' || objPath === null) {
      const name = typeof uri === 'string' ? referenceObjPath(uri, objPath) : undefined;
      options = name !== undefined ? { name } : {};
    } else options = objPath;
    const entries =
      typeof uri === 'string'
        ? await resolveReference(uri, options)
        : [artifactReference(uri, options)];
    const taken = entries.find((e) => this.items.has(e.path));
    if (taken) {
      throw new CairnError(
        'CONFLICT',
        `the artifact already has an entry at ${JSON.stringify(taken.path)}`,
        {
          path: taken.path,
        },
      );
    }
    for (const e of entries) this.items.set(e.path, { kind: 'entry', entry: e });
    return entries.map((e) => e.path);
  }

  /** A new local file; `close()` adds it to the artifact under `name`. */
  async newFile(name: string): Promise<NewFileHandle> {
    this.assertEditable();
    const entryPath = normalizeEntryPath(name);
    if (this.items.has(entryPath)) {
      throw new CairnError(
        'CONFLICT',
        `the artifact already has an entry at ${JSON.stringify(entryPath)}`,
        {
          path: entryPath,
        },
      );
    }
    const dir = await mkdtemp(join(await this.stagingDir(), 'new-'));
    const local = join(dir, basename(entryPath));
    await writeFile(local, '', { flag: 'wx' });
    let closed = false;
    return {
      path: local,
      name: entryPath,
      write: async (data) => {
        if (closed) throw new ValidationError(`new file ${entryPath} is closed`);
        await appendFile(local, data);
      },
      close: async () => {
        if (closed) return entryPath;
        closed = true;
        return this.addFile(local, { name: entryPath });
      },
    };
  }

  /** Removes an entry, or every entry below a directory; NOT_FOUND when nothing matches. */
  remove(item: string | { path: string }): void {
    this.assertEditable();
    const target = normalizeEntryPath(typeof item === 'string' ? item : item.path);
    let removed = 0;
    for (const [path, it] of [...this.items]) {
      if (!isUnderPrefix(path, target)) continue;
      this.items.delete(path);
      if (it.kind === 'file') this.forgetLocalNames(it);
      removed++;
    }
    if (removed === 0)
      throw new NotFoundError(`the artifact has no entry or directory ${JSON.stringify(target)}`);
  }

  /** The entry path a local file was added under, if it was. */
  getAddedLocalPathName(localPath: string): string | undefined {
    return this.localNames.get(resolve(localPath));
  }

  // ---- manifest --------------------------------------------------------------------------

  private async draftEntries(): Promise<ManifestEntry[]> {
    const items = [...this.items.values()];
    const ctx = this.ctx ?? createContext();
    const prepared = await prepareFiles(items, ctx.statCache, false);
    await ctx.statCache.save();
    const out = prepared.map(entryOf);
    for (const it of items) if (it.kind === 'entry') out.push(it.entry);
    return out;
  }

  private async loggedEntries(): Promise<ManifestEntry[]> {
    if (!this.entries) {
      const { ctx, info } = this.logged('manifest');
      // A cached manifest was validated before it was sealed and written (ManifestCache).
      this.entries = ctx.manifests.read(info.id);
      if (!this.entries) {
        const body = await ctx.http.json<ManifestBody>('GET', `/versions/${info.id}/manifest`);
        this.entries = validateEntries(body.entries);
        ctx.manifests.write(info.id, this.entries);
      }
    }
    return this.entries;
  }

  /** The manifest (hashing draft files as needed, through the stat cache). */
  async manifest(): Promise<ArtifactManifest> {
    return makeManifest(this.info ? await this.loggedEntries() : await this.draftEntries());
  }

  /** W&B-compatible artifact digest (hex MD5 over the sorted manifest). */
  async digest(): Promise<string> {
    return this.info ? this.info.digest : (await this.manifest()).digest;
  }

  /** One entry by path; NOT_FOUND when absent. */
  /**
   * The entry at `name`. Entries of a logged artifact carry its `artifactId`, so they can be
   * passed to another draft's `addReference` (W&B's `entry.ref_target()`).
   */
  async getEntry(name: string): Promise<ArtifactEntry> {
    const path = normalizeEntryPath(name);
    const entries = this.info
      ? await this.loggedEntries()
      : (await this.manifest()).entries.filter((e) => e.path === path);
    const e = entries.find((x) => x.path === path);
    if (!e) throw new NotFoundError(`artifact ${this.name} has no entry ${JSON.stringify(path)}`);
    return this.info ? { ...e, artifactId: this.info.id } : { ...e };
  }

  // ---- logging ---------------------------------------------------------------------------

  /**
   * Logs a draft as the next version of `entity/project/<name>` (the result's `created` is false
   * when the content equals `latest`: no version is made and this becomes that version), or
   * persists description, metadata, aliases and tags of a logged artifact.
   */
  async save(options: SaveOptions = {}): Promise<Artifact> {
    this.saving = this.info
      ? this.update()
      : this.log(options).then(async (a) => {
          const { ctx, info } = this.logged('save()');
          if (await recordLogged(ctx, info, this.created === true, options.run)) {
            this.info = await ctx.http.json<VersionInfo>('GET', `/versions/${info.id}`);
          }
          return a;
        });
    return this.saving;
  }

  /** Waits for a pending `save()` to finish. */
  async wait(): Promise<Artifact> {
    if (!this.saving) {
      if (this.info) return this;
      throw notLogged('wait()');
    }
    return this.saving;
  }

  private async update(): Promise<Artifact> {
    const { ctx, info } = this.logged('save()');
    const body: VersionUpdate = {
      ttlMs: this._ttl,
      description: this._description,
      metadata: validateMetadata(
        this.t9kStored ? { ...this._metadata, [T9K_METADATA_KEY]: this.t9kStored } : this._metadata,
      ),
      aliases: validateAliases(this.aliases.filter((a) => !isManagedAlias(a))),
      tags: validateTags(this.tags),
    };
    const updated = await ctx.http.json<VersionInfo>('PATCH', `/versions/${info.id}`, {
      json: body,
    });
    this.adopt(ctx, updated);
    return this;
  }

  private async log(options: SaveOptions, t9k?: T9kLog): Promise<Artifact> {
    const ctx = options.client?.context ?? this.ctx ?? createContext();
    const entity = validateName(options.entity ?? ctx.entity, 'entity name');
    const project = validateProjectPath(options.project ?? ctx.project);
    const aliases = validateAliases([...this.aliases, ...(options.aliases ?? [])]);
    const tags = validateTags([...this.tags, ...(options.tags ?? [])]);
    const metadata = validateMetadata(
      t9k ? { ...this._metadata, [T9K_METADATA_KEY]: t9k.persisted } : this._metadata,
    );
    const wasFinalized = this.finalized;
    this.finalized = true;
    let outcome: DraftLogOutcome;
    try {
      outcome = await logDraft({
        ctx,
        target: { entity, project, collection: this._collection, type: this._type },
        items: [...this.items.values()],
        commit: {
          ...(this._ttl !== 'inherit' ? { ttlMs: this._ttl } : {}),
          description: this._description,
          metadata,
          aliases,
          tags,
        },
        ...(t9k ? { placement: t9k.placement } : {}),
        mayShortcut: t9k === undefined || t9k.placement.conflictStrategy === 'version',
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    } catch (err) {
      this.finalized = wasFinalized;
      throw err;
    }
    if (outcome.kind === 'skipped') {
      // Another upload took the name first and the strategy says to keep theirs.
      this.finalized = wasFinalized;
      return Artifact.fromVersion(ctx, outcome.version);
    }
    this.lastUpload = outcome.stats;
    await this.dropStaging();
    if (outcome.kind === 'unchanged') {
      this.created = false;
      if (t9k) this.lastOutcome = 'versioned';
      this.entries = undefined;
      this.adopt(ctx, outcome.version);
      return this;
    }
    const { result } = outcome;
    this.lastOutcome = (result as Partial<PlacementResult>).outcome;
    this.created = result.created;
    this.entries = outcome.entries;
    this.adopt(ctx, result.version);
    return this;
  }

  // ---- t9k (TensorStack) surface -------------------------------------------------------

  /** t9k's labels: the same list as `tags`. */
  get labels(): string[] {
    return this.tags;
  }
  set labels(value: string[]) {
    this.tags = validateTags(value);
  }
  /** When this artifact was made (ISO-8601); kept through upload and load. */
  get createdTimestamp(): string {
    return this._createdTimestamp;
  }
  /** `<name>_<yymmdd>_<hhmmss>_<6 random characters>`, fixed at creation; `upload` with `new` uses it. */
  get alternativeName(): string {
    return this._alternativeName;
  }
  /** The artifact's local directory: `$CAIRN_ARTIFACT_DIR/<alternativeName>` (default `.cairn/artifacts`). */
  get local(): string {
    return this._local;
  }
  /** Where this artifact was uploaded to and downloaded from, oldest first. */
  get remote(): RemoteRecord[] {
    return this._remote.map((r) => ({ ...r }));
  }
  /** The artifact's objects by path: files with the local copy they are read from, and entries. */
  get objects(): ArtifactObject[] {
    if (this.items.size > 0 || !this.info) return objectsOfItems(this.items.values());
    return objectsOfEntries(this.entries ?? [], this.localFilled ? this._local : undefined);
  }

  private async addObjectFile(filePath: string, objPath: string | null): Promise<string> {
    this.assertEditable();
    const path = fileObjPath(filePath, objPath);
    const st = await stat(filePath).catch(() => undefined);
    if (!st?.isFile()) throw new CairnError('NOT_FOUND', `${filePath} is not a file`, { filePath });
    this.refuseTaken([path]);
    const copy = await copyInto(this._local, filePath, path);
    this.putItem({ kind: 'file', path, localPath: copy, size: st.size }, false);
    await this.writeSidecar();
    return path;
  }

  private async addObjectDir(dirPath: string, objPath: string | null): Promise<string[]> {
    this.assertEditable();
    const prefix = dirObjPath(dirPath, objPath);
    const st = await stat(dirPath).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new CairnError('NOT_FOUND', `${dirPath} is not a directory`, { dirPath });
    }
    const listed = await walkFiles(resolve(dirPath), artifactDir());
    const files = listed
      .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))
      .map((f) => ({ abs: f.abs, rel: f.rel, path: joinObjPath(prefix, f.rel) }));
    this.refuseTaken(files.map((f) => f.path));
    for (const f of files) {
      const copy = await copyInto(this._local, f.abs, f.path);
      const size = (await stat(copy)).size;
      this.putItem({ kind: 'file', path: f.path, localPath: copy, size }, false);
    }
    await this.writeSidecar();
    return files.map((f) => f.path);
  }

  /** Checked before anything is copied, so a refused add leaves `local` as it was. */
  private refuseTaken(paths: string[]): void {
    const taken = paths.find((p) => this.items.has(p));
    if (taken !== undefined) {
      throw new ConflictError(`the artifact already has an object at ${JSON.stringify(taken)}`, {
        path: taken,
      });
    }
  }

  private restoreObjects(objects: readonly ArtifactObject[]): void {
    for (const item of itemsOfObjects(objects)) this.items.set(itemPath(item), item);
  }

  /** t9k's `to_dict()`: every field, as JSON; `Artifact.fromDict` reads it back. */
  toDict(): ArtifactDict {
    return {
      name: this._collection,
      type: this._type,
      description: this._description,
      labels: [...this.tags],
      aliases: [...this.aliases],
      metadata: structuredClone(this._metadata),
      ttl: this._ttl,
      createdTimestamp: this._createdTimestamp,
      alternativeName: this._alternativeName,
      objects: this.objects,
      remote: this.remote,
      local: this._local,
      version: this.info ? structuredClone(this.info) : null,
    };
  }

  /** t9k's `Artifact(metadata, objects)` from a `toDict()` result (or a hand-written dict). */
  static fromDict(
    data: Partial<ArtifactDict> & { name: string },
    options: FromDictOptions = {},
  ): Artifact {
    const a = new Artifact({
      name: data.name,
      ...(data.type !== undefined ? { type: data.type } : {}),
    });
    a.applyDict(data, options);
    return a;
  }

  /** t9k's `parse_from_dict(data)`: this artifact becomes the one the dict describes. */
  parseFromDict(
    data: Partial<ArtifactDict> & { name: string },
    options: FromDictOptions = {},
  ): void {
    this.items.clear();
    this.localNames.clear();
    this.info = undefined;
    this.entries = undefined;
    this.finalized = false;
    this.t9kStored = undefined;
    this._collection = validateName(data.name);
    this._type = validateType(data.type ?? DEFAULT_ARTIFACT_TYPE);
    this.applyDict(data, options);
  }

  private applyDict(data: Partial<ArtifactDict>, options: FromDictOptions): void {
    if (typeof data !== 'object' || data === null) {
      throw new ValidationError('an artifact dict must be an object', { rule: 'dict' });
    }
    if (data.version) {
      const ctx = options.client?.context ?? this.ctx ?? createContext();
      this.adopt(ctx, data.version);
    }
    if (data.description !== undefined) this.description = data.description;
    if (data.metadata !== undefined) this.metadata = data.metadata;
    if (data.labels !== undefined) this.labels = data.labels;
    if (data.aliases !== undefined) this.aliases = [...data.aliases];
    if (data.ttl !== undefined) this._ttl = validateTtl(data.ttl);
    if (typeof data.createdTimestamp === 'string') this._createdTimestamp = data.createdTimestamp;
    if (typeof data.alternativeName === 'string') {
      this._alternativeName = validateName(data.alternativeName, 'alternative name');
    }
    this._local = resolve(data.local ?? join(artifactDir(), this._alternativeName));
    if (data.remote !== undefined) this._remote = data.remote.map((r) => ({ ...r }));
    const objects = data.objects ?? [];
    // A logged artifact's objects are its manifest entries (with local copies once downloaded),
    // unless it was uploaded from this process's draft, whose files they still are.
    const entries = this.info ? entriesOfObjects(objects) : undefined;
    if (entries) {
      this.entries = entries;
      this.localFilled = objects.some((o) => o.localPath !== undefined);
    } else this.restoreObjects(objects);
  }

  private async writeSidecar(): Promise<void> {
    await writeSidecarFile(this._local, this.toDict());
  }

  /**
   * t9k's `upload(folder, make_folder, conflict_strategy)`: logs this artifact into a folder
   * (see UploadOptions). Returns this artifact, now the uploaded version — or, with `skip` and
   * the name taken, the existing artifact (this one stays a draft).
   */
  async upload(options: UploadOptions = {}): Promise<Artifact> {
    const ctx = options.client?.context ?? this.ctx ?? createContext();
    const { folder, fullPath, strategy, existing } = await prepareFolderUpload(
      ctx,
      options,
      this._collection,
      this._type,
    );
    if (existing && strategy === 'skip') return Artifact.fromVersion(ctx, existing);
    const persisted = {
      alternativeName: this._alternativeName,
      createdTimestamp: this._createdTimestamp,
    };
    // A logged artifact uploads its content again (the server has the bytes): as a new draft.
    const source = this.info ? await this.newDraft() : this;
    const logged = await source.log(
      {
        client: { context: ctx },
        entity: folder.entity,
        project: folder.path,
        ...(options.aliases ? { aliases: options.aliases } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
      {
        placement: { conflictStrategy: strategy, alternativeName: this._alternativeName },
        persisted,
      },
    );
    if (logged !== source) return logged;
    if (source !== this) {
      this.adopt(ctx, source.logged('upload()').info);
      this.entries = source.entries;
      this.created = source.created;
      this.lastUpload = source.lastUpload;
      this.lastOutcome = source.lastOutcome;
    }
    const { info } = this.logged('upload()');
    await recordLogged(ctx, info, this.created === true, options.run).catch((err: unknown) => {
      // A concurrent `replace` may already have retired this version: the upload still happened.
      if (!(err instanceof CairnError && err.code === 'NOT_FOUND')) throw err;
    });
    this._remote.push({
      action: 'upload',
      timestamp: new Date().toISOString(),
      folder: fullPath,
      name: info.collection,
      version: `v${info.index}`,
      id: info.id,
      ...(this.lastOutcome !== undefined ? { outcome: this.lastOutcome } : {}),
    });
    await this.writeSidecar();
    return this;
  }

  /** Downloads a logged artifact into `local` and records it in `remote` (t9k's load). */
  async downloadToLocal(): Promise<string> {
    const { info } = this.logged('downloadToLocal()');
    this._remote = await continuedHistory(this._local, this._alternativeName, this._remote);
    const root = await this.download({ root: this._local });
    this.localFilled = true;
    this._remote.push({
      action: 'download',
      timestamp: new Date().toISOString(),
      folder: formatFolderPath({ entity: info.entity, path: info.project }),
      name: info.collection,
      version: `v${info.index}`,
      id: info.id,
    });
    await this.writeSidecar();
    return root;
  }

  /** Points a draft made from a local directory at that directory (`loadArtifact(dir)`). */
  useLocalDir(dir: string): void {
    this._local = resolve(dir);
  }

  // ---- using a logged artifact -----------------------------------------------------------

  private defaultRoot(): string {
    return resolve('artifacts', this.name);
  }

  /** Downloads the files below `root` (default `./artifacts/<name>`); returns the root. */
  async download(options: DownloadArtifactOptions = {}): Promise<string> {
    const { ctx } = this.logged('download()');
    const entries = await this.loggedEntries();
    const result = await downloadEntries(
      { http: ctx.http, cache: ctx.cache, statCache: ctx.statCache },
      entries,
      { ...options, root: options.root ?? this.defaultRoot() },
    );
    this.lastDownload = result;
    return result.root;
  }

  /** Makes `root` exactly the artifact: downloads, then deletes files not in it. */
  async checkout(root?: string): Promise<string> {
    const real = await this.download({ root: root ?? this.defaultRoot() });
    const entries = await this.loggedEntries();
    await removeExtras(real, new Set(entries.map((e) => e.path)));
    return real;
  }

  /** Checksums `root` against the manifest; throws VERIFY_FAILED listing missing, changed and extra files. */
  async verify(root?: string): Promise<void> {
    const entries = await this.loggedEntries();
    const dir = resolve(root ?? this.defaultRoot());
    throwIfFailed(dir, await verifyTree(dir, entries));
  }

  /** Downloads a single-file artifact and returns the file's local path. */
  async file(root?: string): Promise<string> {
    const entries = await this.loggedEntries();
    const only = entries[0];
    if (entries.length !== 1 || !only) {
      throw new ValidationError(
        `file() needs an artifact with exactly one file; ${this.name} has ${entries.length}. Use download()`,
        { rule: 'file.count' },
      );
    }
    const real = await this.download({ root: root ?? this.defaultRoot() });
    return join(real, ...only.path.split('/'));
  }

  /** Pages through the entries on the server; see FilesIterator for resuming with `cursor`. */
  files(options: FilesOptions = {}): FilesIterator {
    const { ctx, info } = this.logged('files()');
    return new FilesIterator(ctx.http, info.id, options);
  }

  /**
   * Deletes this version; refused while it has aliases unless `deleteAliases`, or while it is
   * linked into a registry. On a link it only unlinks.
   */
  async delete(options: { deleteAliases?: boolean } = {}): Promise<void> {
    const { ctx, info } = this.logged('delete()');
    await ctx.http.json('DELETE', `/versions/${info.id}`, {
      query: options.deleteAliases || this.isLink ? { deleteAliases: true } : {},
    });
    this.info = { ...info, state: 'DELETED' };
  }

  /** A draft with this version's content and metadata, to change and log as a new version. */
  async newDraft(): Promise<Artifact> {
    const { ctx, info } = this.logged('newDraft()');
    const draft = new Artifact({
      name: info.collection,
      type: info.type,
      description: this._description,
      metadata: structuredClone(this._metadata),
    });
    draft.ctx = ctx;
    draft._ttl = this._ttl;
    for (const e of await this.loggedEntries()) {
      const entry: ManifestEntry = { ...e };
      if (entry.sha256 && entry.birthArtifactId === undefined) entry.birthArtifactId = info.id;
      draft.items.set(entry.path, { kind: 'entry', entry });
    }
    return draft;
  }

  /** The run that first logged this version, or null (W&B `logged_by`). */
  async loggedBy(): Promise<Run | null> {
    const { ctx, info } = this.logged('loggedBy()');
    const [first] = await versionRuns(ctx, info.id, 'producer');
    return first ? Run.fromInfo(ctx, first) : null;
  }

  /** The runs that used this version, in the order they did (W&B `used_by`). */
  async usedBy(): Promise<Run[]> {
    const { ctx, info } = this.logged('usedBy()');
    return (await versionRuns(ctx, info.id, 'consumers')).map((r) => Run.fromInfo(ctx, r));
  }

  /** W&B's JSON encoding of a logged artifact (as used in run summaries). */
  jsonEncode(): Record<string, unknown> {
    const { info } = this.logged('jsonEncode()');
    return {
      _type: 'artifactVersion',
      _version: 'v0',
      id: info.id,
      version: `v${info.index}`,
      sequenceName: info.collection,
      usedAs: this.name,
      qualifiedName: this.qualifiedName,
      digest: info.digest,
    };
  }
}
