import { randomBytes } from 'node:crypto';
import {
  CairnError,
  ConflictError,
  NotFoundError,
  ValidationError,
  isSha256Hex,
  manifestDigest,
  manifestSize,
  newId,
  validateAliases,
  validateDescription,
  validateEntries,
  validateMetadata,
  validateName,
  validateProjectPath,
  validateTags,
  validateTtl,
  validateType,
  type CommitRequest,
  type CommitResult,
  type PlacedCommitRequest,
  type PlacementResult,
  type UploadSession,
  type UploadStart,
} from '@cairn/core';
import type { CollectionRecord, MetaStore } from '../store/meta/meta-store.js';
import { lockCollection, placeUpload, validatePlacement, type Placement } from './placement.js';
import type { BlobService } from './blob-service.js';
import { REGISTRY_ENTITY } from './registry-service.js';
import { versionInfo } from './version-info.js';

const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The upload negotiation: a session pins the hashes the client means to use and says which
 * the server lacks; the commit is one transaction that checks every blob, assigns `vN` and
 * moves `latest`, or creates nothing at all.
 */
export class UploadService {
  constructor(
    private readonly meta: MetaStore,
    private readonly blobs: BlobService,
  ) {}

  async start(body: UploadStart): Promise<UploadSession> {
    if (typeof body !== 'object' || body === null) {
      throw new ValidationError('upload body must be a JSON object');
    }
    const entity = validateName(body.entity, 'entity name');
    if (entity === REGISTRY_ENTITY) {
      throw new ValidationError(
        `entity ${REGISTRY_ENTITY} holds registry links only; log to your own entity and link the version`,
        { rule: 'entity.registry' },
      );
    }
    if (typeof body.project !== 'string') throw new ValidationError('project must be a string');
    const project = validateProjectPath(body.project);
    const collection = validateName(body.collection);
    const type = validateType(body.type);
    const sha256 = Array.isArray(body.sha256) ? body.sha256 : [];
    const describe = body.describe === undefined ? [] : body.describe;
    if (!Array.isArray(describe)) {
      throw new ValidationError('describe must be an array of SHA-256s', { rule: 'sha256' });
    }
    const pinned = new Set(sha256);
    for (const s of describe) {
      if (typeof s !== 'string' || !pinned.has(s)) {
        throw new ValidationError(
          `describe may only name hashes listed in sha256; ${JSON.stringify(s)} is not`,
          { rule: 'sha256' },
        );
      }
    }
    for (const s of sha256) {
      if (!isSha256Hex(s)) {
        throw new ValidationError(`${JSON.stringify(s)} is not a lower-case hex SHA-256`, {
          rule: 'sha256',
        });
      }
    }
    const e = await this.meta.findEntity(entity);
    const p = e && (await this.meta.findProject(e.id, project));
    const existing = p && (await this.meta.findCollection(p.id, collection));
    if (existing && existing.type !== type) {
      // Fail before any bytes move; the commit checks again inside its transaction.
      throw new ConflictError(
        `artifact ${entity}/${project}/${collection} has type ${JSON.stringify(existing.type)}, not ${JSON.stringify(type)}`,
        { existingType: existing.type },
      );
    }
    const at = Date.now();
    await this.meta.deleteExpiredUploads(new Date(at).toISOString());
    const upload = {
      id: newId(),
      entity,
      project,
      collection,
      type,
      createdAt: new Date(at).toISOString(),
      expiresAt: new Date(at + UPLOAD_TTL_MS).toISOString(),
    };
    // Pin first, then look: a garbage collection either sees the pin and keeps the blob, or
    // removed it before, and then the blob is reported missing and sent again.
    await this.meta.createUpload(upload, sha256);
    const missing = await this.blobs.missing(sha256);
    const session: UploadSession = { uploadId: upload.id, missing, expiresAt: upload.expiresAt };
    if (describe.length > 0) session.described = await this.blobs.describe(describe);
    return session;
  }

  async abort(id: string): Promise<void> {
    const u = await this.meta.getUpload(id);
    if (!u) throw new NotFoundError(`upload ${id} does not exist (finished, aborted or expired)`);
    await this.meta.deleteUpload(id);
  }

  async commit(id: string, body: CommitRequest): Promise<CommitResult> {
    const { version, created } = await this.commitInto(id, body, undefined);
    return { version, created };
  }

  /** The commit of a t9k-style upload into a folder, with its conflict strategy. */
  async place(id: string, body: PlacedCommitRequest): Promise<PlacementResult> {
    return this.commitInto(id, body, validatePlacement(body?.placement));
  }

  private async commitInto(
    id: string,
    body: CommitRequest,
    placement: Placement | undefined,
  ): Promise<PlacementResult> {
    if (typeof body !== 'object' || body === null) {
      throw new ValidationError('commit body must be a JSON object');
    }
    const entries = validateEntries(body.entries);
    const description = validateDescription(body.description);
    const metadata = validateMetadata(body.metadata);
    const aliases = validateAliases(body.aliases ?? []);
    const tags = validateTags(body.tags ?? []);
    const ttlMs = body.ttlMs === undefined ? 'inherit' : validateTtl(body.ttlMs, false);
    const digest = manifestDigest(entries);

    const u = await this.meta.getUpload(id);
    if (!u || u.expiresAt < new Date().toISOString()) {
      throw new NotFoundError(
        `upload ${id} does not exist (aborted or expired); start a new upload with POST /uploads`,
        { uploadId: id },
      );
    }

    // The session stays until it expires: a commit retried after a lost answer finds the
    // version it created (created: false) instead of an unknown upload. Its pins go at once:
    // the committed version now holds the blobs it names.
    const result = await this.meta.transaction(async (tx) => {
      const stored = new Map(
        (await tx.findBlobs(entries.flatMap((e) => (e.sha256 ? [e.sha256] : [])))).map((b) => [
          b.sha256,
          b,
        ]),
      );
      const missing: string[] = [];
      for (const e of entries) {
        if (e.sha256 === undefined) continue;
        const b = stored.get(e.sha256);
        if (!b) {
          missing.push(e.path);
          continue;
        }
        if (b.size !== e.size || b.md5 !== e.digest) {
          throw new CairnError(
            'DIGEST_MISMATCH',
            `entry ${JSON.stringify(e.path)} declares size ${e.size} and MD5 ${e.digest}, but blob ${e.sha256} has size ${b.size} and MD5 ${b.md5}`,
            { path: e.path },
          );
        }
      }
      if (missing.length > 0) {
        const shown = missing.slice(0, 10).join(', ');
        throw new CairnError(
          'MISSING_BLOBS',
          `the server lacks the bytes of ${missing.length} file(s): ${shown}${missing.length > 10 ? ', …' : ''}; upload them and commit again`,
          { paths: missing },
        );
      }

      let collection: CollectionRecord;
      let outcome: PlacementResult['outcome'] = 'versioned';
      let retired: string[] = [];
      const at = new Date().toISOString();
      if (placement) {
        // Takes the collection's row lock itself, before it looks at what the folder holds.
        const target = await placeUpload(tx, u, placement);
        if (target.kind === 'skip') {
          const version = await versionInfo(tx, target.existing, target.collection);
          return { version, created: false, outcome: 'skipped' as const, retired };
        }
        ({ collection, outcome, retired } = target);
      } else {
        // Taken before reading `latest` and the next index, so concurrent commits take turns.
        collection = await lockCollection(tx, u);
        if (collection.type !== u.type) {
          throw new ConflictError(
            `artifact ${u.entity}/${u.project}/${u.collection} has type ${JSON.stringify(collection.type)}, not ${JSON.stringify(u.type)}`,
            { existingType: collection.type },
          );
        }
      }
      const latest = await tx.latestVersion(collection.id);
      if (latest && latest.digest === digest) {
        // W&B keeps the existing version and adds the requested aliases and tags to it.
        for (const a of aliases) await tx.setAlias(collection.id, a, latest.id);
        if (tags.length > 0) {
          const current = await tx.tagsOf(latest.id);
          await tx.setTags(latest.id, [...new Set([...current, ...tags])]);
        }
        return {
          version: await versionInfo(tx, latest, collection),
          created: false,
          outcome,
          retired,
        };
      }

      const idx = ((await tx.maxVersionIdx(collection.id)) ?? -1) + 1;
      const versionId = newId();
      await tx.insertVersion({
        id: versionId,
        collectionId: collection.id,
        idx,
        digest,
        description,
        metadata,
        size: manifestSize(entries),
        fileCount: entries.length,
        commitHash: randomBytes(10).toString('hex'),
        ttlMs,
        createdAt: at,
        updatedAt: at,
        entries: entries.map((e) => ({
          path: e.path,
          digest: e.digest,
          size: e.size,
          sha256: e.sha256 ?? null,
          ref: e.ref ?? null,
          birthArtifactId: e.birthArtifactId ?? versionId,
          extra: e.extra ?? null,
        })),
      });
      for (const a of aliases) await tx.setAlias(collection.id, a, versionId);
      if (tags.length > 0) await tx.setTags(versionId, tags);
      const v = await tx.getVersion(versionId);
      if (!v) throw new CairnError('INTERNAL', 'version vanished inside its own transaction');
      return { version: await versionInfo(tx, v, collection), created: true, outcome, retired };
    });
    // One transaction for this session's pins and every session the log abandons, not flushed
    // on its own: lost to a power loss, they would only hold their blobs until they expire.
    const release = body.releaseUploads ?? [];
    await this.meta.transaction(
      async (tx) => {
        await tx.releasePins(id);
        for (const other of release) if (other !== id) await tx.deleteUpload(other);
      },
      { durable: false },
    );
    return result;
  }
}
