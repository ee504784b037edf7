import {
  ConflictError,
  NotFoundError,
  ValidationError,
  newId,
  validateAliases,
  validateDescription,
  validateName,
  validateType,
  type CollectionInfo,
  type LinkRequest,
  type RegistryCollectionCreate,
  type VersionInfo,
} from '@cairn/core';
import { randomBytes } from 'node:crypto';
import type { MetaStore } from '../store/meta/meta-store.js';
import { collectionInfo, versionInfo } from './version-info.js';

/** Registry collections live under this entity; uploads may not write there directly. */
export const REGISTRY_ENTITY = 'registry';

/** `registry/<registry>/<collection>` or W&B's `wandb-registry-<registry>/<collection>`. */
export function parseRegistryTarget(target: unknown): { registry: string; collection: string } {
  if (typeof target !== 'string') {
    throw new ValidationError(
      'link target must be a string like registry/<registry>/<collection>',
      {
        rule: 'link.target',
      },
    );
  }
  const wandb = /^wandb-registry-([^/]+)\/([^/:]+)$/.exec(target);
  const ours = /^registry\/([^/]+)\/([^/:]+)$/.exec(target);
  const m = wandb ?? ours;
  if (!m) {
    throw new ValidationError(
      `link target ${JSON.stringify(target)} must look like registry/<registry>/<collection> (or wandb-registry-<registry>/<collection>)`,
      { rule: 'link.target' },
    );
  }
  return {
    registry: validateName(m[1], 'registry name'),
    collection: validateName(m[2], 'registry collection name'),
  };
}

/**
 * Registries (W&B's): collections of links to artifact versions. A link is a version of the
 * registry collection with its own `vN`, aliases and `latest`, showing its source's content.
 */
export class RegistryService {
  constructor(private readonly meta: MetaStore) {}

  async createCollection(body: RegistryCollectionCreate): Promise<CollectionInfo> {
    const registry = validateName(body.registry, 'registry name');
    const name = validateName(body.name, 'registry collection name');
    const type = validateType(body.type);
    const description = validateDescription(body.description);
    return this.meta.transaction(async (tx) => {
      const e = await tx.ensureEntity(REGISTRY_ENTITY);
      const p = await tx.ensureProject(e.id, registry);
      const existing = await tx.findCollection(p.id, name);
      if (existing) {
        throw new ConflictError(`registry collection registry/${registry}/${name} already exists`);
      }
      const c = await tx.ensureCollection(p.id, name, type);
      if (description !== null) await tx.setCollectionDescription(c.id, description);
      return collectionInfo({ ...c, description }, 0);
    });
  }

  async link(sourceId: string, body: LinkRequest): Promise<VersionInfo> {
    const { registry, collection } = parseRegistryTarget(body?.target);
    const aliases = validateAliases(body?.aliases ?? []);
    return this.meta.transaction(async (tx) => {
      const found = await tx.getVersion(sourceId);
      if (!found || found.state === 'DELETED') {
        throw new NotFoundError(
          `artifact version ${sourceId} does not exist (deleted versions cannot be linked)`,
        );
      }
      // Linking a link links its source.
      const source =
        found.sourceVersionId !== null ? await tx.getVersion(found.sourceVersionId) : found;
      if (!source || source.state === 'DELETED') {
        throw new NotFoundError(`the source of link ${sourceId} no longer exists`);
      }
      const e = await tx.findEntity(REGISTRY_ENTITY);
      const p = e && (await tx.findProject(e.id, registry));
      const c = p && (await tx.findCollection(p.id, collection));
      if (!c) {
        throw new NotFoundError(
          `registry collection registry/${registry}/${collection} does not exist; create it first`,
          { registry, collection },
        );
      }
      const sourceCollection = await tx.getCollection(source.collectionId);
      if (sourceCollection && sourceCollection.type !== c.type) {
        throw new ConflictError(
          `registry collection registry/${registry}/${collection} holds ${JSON.stringify(c.type)} artifacts, not ${JSON.stringify(sourceCollection.type)}`,
        );
      }
      for (const a of aliases) {
        const holder = await tx.findVersionByAlias(c.id, a);
        if (holder && holder.sourceVersionId !== source.id) {
          throw new ConflictError(
            `alias ${JSON.stringify(a)} is already on registry/${registry}/${collection}:v${holder.idx}; move it with an update instead`,
            { alias: a },
          );
        }
      }
      let link = await tx.findLink(c.id, source.id);
      if (!link) {
        const at = new Date().toISOString();
        const id = newId();
        await tx.insertVersion({
          id,
          collectionId: c.id,
          idx: ((await tx.maxVersionIdx(c.id)) ?? -1) + 1,
          digest: source.digest,
          description: source.description,
          metadata: source.metadata,
          size: source.size,
          fileCount: source.fileCount,
          commitHash: randomBytes(10).toString('hex'),
          createdAt: at,
          updatedAt: at,
          ttlMs: null,
          sourceVersionId: source.id,
          entries: [],
        });
        await tx.touchCollection(c.id, at);
        link = await tx.getVersion(id);
      }
      if (!link) throw new NotFoundError('link vanished inside its own transaction');
      for (const a of aliases) await tx.setAlias(c.id, a, link.id);
      return versionInfo(tx, link, c);
    });
  }

  async links(id: string): Promise<VersionInfo[]> {
    const v = await this.meta.getVersion(id);
    if (!v || v.state === 'DELETED')
      throw new NotFoundError(`artifact version ${id} does not exist`);
    const out: VersionInfo[] = [];
    for (const l of await this.meta.liveLinksOf(v.sourceVersionId ?? v.id)) {
      const c = await this.meta.getCollection(l.collectionId);
      if (c) out.push(await versionInfo(this.meta, l, c));
    }
    return out;
  }
}
