/**
 * What folder operations need from the metadata database beyond MetaStore's per-row calls: whole
 * subtrees at once. A folder is a project path, so these work on `projects` rows; every call runs
 * in the caller's transaction (`tx.folders`), so a move or a recursive delete is all or nothing.
 */
export interface FolderRow {
  id: number;
  entityId: number;
  path: string;
  createdAt: string;
}

export interface FolderCollectionRow {
  id: number;
  projectId: number;
  name: string;
  liveVersions: number;
}

export interface FolderQueries {
  /** Projects at `path` or below it ('' = every live project of the entity), by path. */
  projectsUnder(entityId: number, path: string): Promise<FolderRow[]>;
  /** Moves a project row to another entity and path (the caller checked the place is free). */
  setProjectPlace(projectId: number, entityId: number, path: string): Promise<void>;
  deleteProject(projectId: number): Promise<void>;
  /** The collections of these projects with their counts of live (committed) versions. */
  collectionsIn(projectIds: number[]): Promise<FolderCollectionRow[]>;
  setCollectionProject(collectionId: number, projectId: number): Promise<void>;
  /** Takes the row locks of these collections (as a commit's touch does), changing nothing. */
  lockCollections(collectionIds: number[]): Promise<void>;
  /** Ids of the committed versions of these collections. */
  liveVersionIds(collectionIds: number[]): Promise<string[]>;
  /** Live registry links pointing at any of these versions from outside the set. */
  outsideLinks(versionIds: string[]): Promise<string[]>;
  /** Marks the versions DELETED and releases their aliases. */
  deleteVersions(versionIds: string[], at: string): Promise<void>;
}
