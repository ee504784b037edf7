import type { RunSource, VersionSource } from '../list-store.js';

/**
 * `SourceUri` filters on rows logged through the native API: a version's URI is
 * `cairn://<entity>/<project path>/<collection>:v<N>`, a run's `cairn://runs/<entity>/<project
 * path>/<id>` (entities.ts). Anything else names none of them.
 */
export function parseVersionUri(uri: string): VersionSource | 'none' {
  const m = /^cairn:\/\/([^/]+)\/(.+)\/([^/:]+):v(\d+)$/.exec(uri);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return 'none';
  return { entity: m[1], project: m[2], collection: m[3], idx: Number(m[4]) };
}

export function parseRunUri(uri: string): RunSource | 'none' {
  const m = /^cairn:\/\/runs\/([^/]+)\/(.+)\/([0-9a-f]{32})$/.exec(uri);
  if (!m?.[1] || !m[2] || !m[3]) return 'none';
  return { entity: m[1], project: m[2], id: m[3] };
}
