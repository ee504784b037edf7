import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  NotFoundError,
  ValidationError,
  formatFolderPath,
  parentFolderPath,
  parseFolderPath,
  formatArtifactRef,
  isId,
  parseArtifactRef,
  validateName,
  validateProjectPath,
} from '@cairn/core';
import type {
  CollectionInfo,
  RegistryCollectionCreate,
  GcReport,
  GcRequest,
  HealthBody,
  LineageGraph,
  Page,
  RefDefaults,
  VersionInfo,
} from '@cairn/core';
import type { Query } from './http.js';
import { Artifact } from './artifact.js';
import type { SaveOptions } from './artifact-options.js';
import { createContext } from './context.js';
import type { CairnOptions, ClientContext } from './context.js';
import { fetchLineage, type LineageOptions } from './lineage.js';
import { Run, type InitOptions } from './run.js';
import { Folders } from './folders.js';
import { SIDECAR_FILE, type ArtifactDict } from './t9k.js';

/** A connection to one Cairn server, with its defaults and local cache. */
export class Cairn {
  readonly context: ClientContext;

  constructor(options: CairnOptions = {}) {
    this.context = createContext(options);
  }

  get url(): string {
    return this.context.url;
  }
  get entity(): string {
    return this.context.entity;
  }
  get project(): string {
    return this.context.project;
  }
  get cacheDir(): string {
    return this.context.cacheDir;
  }

  /** The server's folder tree (t9k folders): make, list, move, rename, delete. */
  get folders(): Folders {
    return new Folders(this.context);
  }

  /**
   * t9k's `load_artifact(path)`: a local directory if one is there (an artifact's `local`, or
   * any directory, as a draft whose files stay where they are); otherwise the artifact at that
   * folder path on the server (`/alice/vision/mnist/raw[:alias]`, or `vision/mnist/raw` under
   * the client's entity), downloaded into its `local` directory.
   */
  async loadArtifact(path: string): Promise<Artifact> {
    const dir = resolve(path);
    if ((await stat(dir).catch(() => undefined))?.isDirectory()) {
      const sidecar = await readFile(join(dir, SIDECAR_FILE), 'utf8').catch(() => undefined);
      if (sidecar !== undefined) {
        let data: ArtifactDict;
        try {
          data = JSON.parse(sidecar) as ArtifactDict;
        } catch {
          throw new ValidationError(`${join(dir, SIDECAR_FILE)} is not JSON`, { rule: 'dict' });
        }
        // The directory may have moved since the sidecar was written: files follow it.
        const was = resolve(data.local ?? dir);
        const objects = (data.objects ?? []).map((o) =>
          o.localPath !== undefined && o.localPath.startsWith(`${was}/`)
            ? { ...o, localPath: join(dir, o.localPath.slice(was.length + 1)) }
            : o,
        );
        return Artifact.fromDict({ ...data, objects, local: dir }, { client: this });
      }
      const draft = new Artifact({ name: validateName(basename(dir)) });
      draft.useLocalDir(dir);
      await draft.addDir(dir, { name: '' });
      return draft;
    }
    const colon = path.lastIndexOf(':');
    const at = colon > path.lastIndexOf('/') ? colon : path.length;
    const where = parseFolderPath(path.slice(0, at), this.entity);
    const folder = parentFolderPath(where.path);
    if (folder === undefined || folder === '') {
      throw new ValidationError(
        `${JSON.stringify(path)} is neither a local directory nor an artifact path <folder>/<name> (e.g. /${where.entity}/vision/mnist/raw)`,
        { rule: 'load.path' },
      );
    }
    const name = where.path.slice(folder.length + 1);
    const ref = `${where.entity}/${folder}/${name}${path.slice(at)}`;
    let a: Artifact;
    try {
      a = await this.artifact(ref);
    } catch (err) {
      if (err instanceof NotFoundError || (err as { code?: string }).code === 'NOT_FOUND') {
        throw new NotFoundError(
          `${JSON.stringify(path)} is not a local directory, and the server has no artifact ${name} in folder ${formatFolderPath({ entity: where.entity, path: folder })}`,
          { path },
        );
      }
      throw err;
    }
    await a.downloadToLocal();
    return a;
  }

  /** The entity and project used when a reference leaves them out. */
  defaults(): RefDefaults {
    return { entity: this.entity, project: this.project };
  }

  private async allPages<T>(path: string, query: Query): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.context.http.json<Page<T>>('GET', path, {
        query: { ...query, limit: 1000, cursor },
      });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return out;
  }

  /** The collections of `[entity/]project` (optionally of one type). */
  async collections(projectPath?: string, type?: string): Promise<CollectionInfo[]> {
    let entity = this.entity;
    let project = this.project;
    if (projectPath !== undefined && projectPath !== '') {
      const segments = projectPath.split('/');
      if (segments.length === 1) project = validateProjectPath(projectPath);
      else {
        entity = validateName(segments[0], 'entity name');
        project = validateProjectPath(segments.slice(1).join('/'));
      }
    }
    return this.allPages<CollectionInfo>('/collections', { entity, project, type });
  }

  /** Every version of `[[entity/]project/]name`, oldest first as the server lists them. */
  async versions(collectionRef: string): Promise<VersionInfo[]> {
    const r = parseArtifactRef(collectionRef, this.defaults());
    return this.allPages<VersionInfo>('/versions', {
      entity: r.entity,
      project: r.project,
      collection: r.collection,
    });
  }

  /** Creates a registry collection, `registry/<registry>/<name>`, to link versions into. */
  async createRegistryCollection(body: RegistryCollectionCreate): Promise<CollectionInfo> {
    return this.context.http.json<CollectionInfo>('POST', '/registries/collections', {
      json: body,
    });
  }

  /** Runs a garbage collection on the server now and reports what it removed. */
  async gc(request: GcRequest = {}): Promise<GcReport> {
    return this.context.http.json<GcReport>('POST', '/gc', { json: request });
  }

  async health(): Promise<HealthBody> {
    return this.context.http.json<HealthBody>('GET', '/health');
  }

  /**
   * A logged artifact by reference: `entity/project/name:alias`, `project/name:vN`, `name`
   * (entity and project from the client's defaults; no alias means `latest`), or `…@digest`.
   */
  async artifact(ref: string): Promise<Artifact> {
    const parsed = parseArtifactRef(ref, { entity: this.entity, project: this.project });
    const info = await this.context.http.json<VersionInfo>('GET', '/versions/resolve', {
      query: { ref: formatArtifactRef(parsed) },
    });
    return Artifact.fromVersion(this.context, info);
  }

  /**
   * Starts a run (W&B `wandb.init`) in the client's entity and project unless given; it is the
   * active run, which `artifact.save()` logs through, until `run.finish()`.
   */
  async init(options: InitOptions = {}): Promise<Run> {
    return Run.start(this.context, options);
  }

  /**
   * The lineage graph around an artifact version (a ref as for `artifact()`, or an Artifact),
   * a run (a Run or its id) or any ARN: nodes and edges within `depth` (default 10, at most
   * 100) `upstream`, `downstream` or `both` (default).
   */
  async lineage(ref: string | Artifact | Run, options: LineageOptions = {}): Promise<LineageGraph> {
    let root: string;
    if (ref instanceof Run) root = ref.id;
    else if (ref instanceof Artifact) root = ref.qualifiedName;
    else if (ref.startsWith('arn:') || isId(ref)) root = ref;
    else root = formatArtifactRef(parseArtifactRef(ref, this.defaults()));
    return fetchLineage(this.context, root, options);
  }

  /** Logs (or updates) `artifact` through this client. */
  async save(artifact: Artifact, options: Omit<SaveOptions, 'client'> = {}): Promise<Artifact> {
    return artifact.save({ ...options, client: this });
  }
}
