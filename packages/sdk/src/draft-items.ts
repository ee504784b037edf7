import type { ManifestEntry } from '@cairn/core';
import type { FileHashes } from './hashing.js';

/** A local file added to a draft; hashed lazily (stat cache first) when the manifest is needed. */
export interface LocalFileItem {
  kind: 'file';
  path: string;
  localPath: string;
  size: number;
  hashes?: FileHashes;
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
