import {
  formatArtifactRef,
  parseArtifactRef,
  validateName,
  validateProjectPath,
} from '@cairn/core';
import type { CollectionInfo, HealthBody, Page, RefDefaults, VersionInfo } from '@cairn/core';
import type { Query } from './http.js';
import { Artifact } from './artifact.js';
import type { SaveOptions } from './artifact.js';
import { createContext } from './context.js';
import type { CairnOptions, ClientContext } from './context.js';

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

  /** Logs (or updates) `artifact` through this client. */
  async save(artifact: Artifact, options: Omit<SaveOptions, 'client'> = {}): Promise<Artifact> {
    return artifact.save({ ...options, client: this });
  }
}
