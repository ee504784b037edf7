import type { ManifestEntry } from '@cairn/core';
import type { FileHashes } from './hashing.js';
import type { FileStat } from './stat-cache.js';

/** A local file added to a draft; hashed lazily (stat cache first) when the manifest is needed. */
export interface LocalFileItem {
  kind: 'file';
  path: string;
  localPath: string;
  size: number;
  hashes?: FileHashes;
  /**
   * The stat taken when addDir listed the file, tried once against the stat cache so an
   * unchanged tree is statted once per file, not twice. A hit means the content as of adding
   * (W&B's add-time digest); a miss stats the file again and hashes what is there now.
   */
  addedStat?: FileStat | undefined;
  /** The path the user added, when the bytes are read from a copy of it (policy 'mutable'). */
  addedFrom?: string;
}

/** An entry whose bytes are not local: a reference, or a stored blob carried over by newDraft(). */
export interface EntryItem {
  kind: 'entry';
  entry: ManifestEntry;
}

export type DraftItem = LocalFileItem | EntryItem;

export function itemPath(item: DraftItem): string {
  return item.kind === 'file' ? item.path : item.entry.path;
}
