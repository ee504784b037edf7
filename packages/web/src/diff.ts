import type { ManifestEntry } from '@cairn/core/wire';

export interface ManifestDiff {
  added: ManifestEntry[];
  removed: ManifestEntry[];
  /** Same path, other content: the entry before and after. */
  changed: { before: ManifestEntry; after: ManifestEntry }[];
  unchanged: number;
}

/** Same bytes: the SHA-256 when both have one, else the W&B digest (references). */
function sameContent(a: ManifestEntry, b: ManifestEntry): boolean {
  if (a.sha256 !== undefined && b.sha256 !== undefined) return a.sha256 === b.sha256;
  return a.digest === b.digest && a.ref === b.ref && a.size === b.size;
}

/** What changed from `before` to `after`, each list by path. */
export function diffManifests(
  before: readonly ManifestEntry[],
  after: readonly ManifestEntry[],
): ManifestDiff {
  const old = new Map(before.map((e) => [e.path, e]));
  const out: ManifestDiff = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const e of after) {
    const prev = old.get(e.path);
    if (!prev) out.added.push(e);
    else if (sameContent(prev, e)) out.unchanged++;
    else out.changed.push({ before: prev, after: e });
    old.delete(e.path);
  }
  out.removed = [...old.values()];
  const byPath = (a: { path: string }, b: { path: string }): number =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  out.added.sort(byPath);
  out.removed.sort(byPath);
  out.changed.sort((a, b) => byPath(a.after, b.after));
  return out;
}
