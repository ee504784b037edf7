import type { Generated } from 'kysely';

/** Table shapes as Kysely sees them. Timestamps are ISO-8601 strings; JSON columns are text. */
export interface Database {
  entities: { id: Generated<number>; name: string; created_at: string };
  projects: {
    id: Generated<number>;
    entity_id: number;
    path: string;
    created_at: string;
    default_ttl_ms: number | null;
  };
  collections: {
    id: Generated<number>;
    project_id: number;
    name: string;
    type: string;
    description: string | null;
    created_at: string;
    updated_at: string;
  };
  versions: {
    id: string;
    collection_id: number;
    idx: number;
    digest: string;
    state: string;
    description: string | null;
    metadata: string;
    size: number;
    file_count: number;
    commit_hash: string;
    created_at: string;
    updated_at: string;
    ttl_ms: number | null;
    ttl_inherit: number;
    source_version_id: string | null;
    /** Migration 011: the logging run's history step (W&B historyStep), or null. */
    history_step: number | null;
  };
  aliases: { collection_id: number; alias: string; version_id: string };
  tags: { version_id: string; tag: string };
  entries: {
    version_id: string;
    path: string;
    digest: string;
    size: number;
    sha256: string | null;
    ref: string | null;
    birth_artifact_id: string | null;
    extra: string | null;
  };
  blobs: {
    sha256: string;
    md5: string;
    size: number;
    pack_id: string | null;
    offset: number;
    created_at: string;
  };
  packs: { id: string; size: number; created_at: string };
  /** `deleting_since`: migration 011, when a collection claimed the key for deletion. */
  retired_objects: { key: string; retired_at: string; deleting_since: string | null };
  uploads: {
    id: string;
    entity: string;
    project: string;
    collection: string;
    type: string;
    created_at: string;
    expires_at: string;
  };
  upload_blobs: { upload_id: string; sha256: string };
  associations: {
    source_arn: string;
    dest_arn: string;
    type: string;
    created_at: string;
  };
}
