import type { Kysely } from 'kysely';
import { TOMBSTONE_PREFIX } from '@cairn/core';
import type { Database } from './schema.js';
import type { FolderCollectionRow, FolderQueries, FolderRow } from './folder-queries.js';

const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** FolderQueries over Kysely, on whatever connection or transaction `db` is. */
export class KyselyFolderQueries implements FolderQueries {
  constructor(private readonly db: Kysely<Database>) {}

  async projectsUnder(entityId: number, path: string): Promise<FolderRow[]> {
    let q = this.db
      .selectFrom('projects')
      .select(['id', 'entity_id', 'path', 'created_at'])
      .where('entity_id', '=', entityId);
    // A range, not LIKE: '_' is a wildcard there and a valid name character here. Paths compare
    // byte-wise (code-point collation), and '/' + 1 is '0'. Tombstones start with '~', above
    // every valid name.
    q =
      path === ''
        ? q.where('path', '<', TOMBSTONE_PREFIX)
        : q.where((eb) =>
            eb.or([
              eb('path', '=', path),
              eb.and([eb('path', '>=', `${path}/`), eb('path', '<', `${path}0`)]),
            ]),
          );
    const rows = await q.orderBy('path').execute();
    return rows.map((r) => ({
      id: Number(r.id),
      entityId: Number(r.entity_id),
      path: r.path,
      createdAt: r.created_at,
    }));
  }

  async setProjectPlace(projectId: number, entityId: number, path: string): Promise<void> {
    await this.db
      .updateTable('projects')
      .set({ entity_id: entityId, path })
      .where('id', '=', projectId)
      .execute();
  }

  async deleteProject(projectId: number): Promise<void> {
    await this.db.deleteFrom('projects').where('id', '=', projectId).execute();
  }

  async collectionsIn(projectIds: number[]): Promise<FolderCollectionRow[]> {
    const out: FolderCollectionRow[] = [];
    for (const part of chunks(projectIds)) {
      const rows = await this.db
        .selectFrom('collections as c')
        .select((eb) => [
          'c.id',
          'c.project_id',
          'c.name',
          eb
            .selectFrom('versions as v')
            .select((eb2) => eb2.fn.countAll<number>().as('n'))
            .whereRef('v.collection_id', '=', 'c.id')
            .where('v.state', '=', 'COMMITTED')
            .as('live'),
        ])
        .where('c.project_id', 'in', part)
        .orderBy('c.name')
        .execute();
      for (const r of rows) {
        out.push({
          id: Number(r.id),
          projectId: Number(r.project_id),
          name: r.name,
          liveVersions: Number(r.live ?? 0),
        });
      }
    }
    return out;
  }

  async setCollectionProject(collectionId: number, projectId: number): Promise<void> {
    await this.db
      .updateTable('collections')
      .set({ project_id: projectId })
      .where('id', '=', collectionId)
      .execute();
  }

  async lockCollections(collectionIds: number[]): Promise<void> {
    for (const part of chunks(collectionIds)) {
      await this.db
        .updateTable('collections')
        .set((eb) => ({ updated_at: eb.ref('updated_at') }))
        .where('id', 'in', part)
        .execute();
    }
  }

  async liveVersionIds(collectionIds: number[]): Promise<string[]> {
    const out: string[] = [];
    for (const part of chunks(collectionIds)) {
      const rows = await this.db
        .selectFrom('versions')
        .select('id')
        .where('collection_id', 'in', part)
        .where('state', '=', 'COMMITTED')
        .execute();
      out.push(...rows.map((r) => r.id));
    }
    return out;
  }

  async outsideLinks(versionIds: string[]): Promise<string[]> {
    const inside = new Set(versionIds);
    const out: string[] = [];
    for (const part of chunks(versionIds)) {
      const rows = await this.db
        .selectFrom('versions')
        .select('id')
        .where('source_version_id', 'in', part)
        .where('state', '=', 'COMMITTED')
        .execute();
      out.push(...rows.map((r) => r.id).filter((id) => !inside.has(id)));
    }
    return out;
  }

  async deleteVersions(versionIds: string[], at: string): Promise<void> {
    for (const part of chunks(versionIds)) {
      await this.db.deleteFrom('aliases').where('version_id', 'in', part).execute();
      await this.db
        .updateTable('versions')
        .set({ state: 'DELETED', updated_at: at })
        .where('id', 'in', part)
        .execute();
    }
  }
}
