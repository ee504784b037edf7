import type { ManifestEntry } from '@cairn/core';

/**
 * Manifests of committed versions, most recently served first, up to a number of entries in all.
 * Entries are written once, with their version, and never changed, so a held manifest cannot go
 * stale: a fleet of jobs downloading one version pays for materialising its 10^4 rows once.
 * Whether the version may still be read is checked by the caller on every request, not here.
 * The arrays are shared between requests and must not be modified.
 */
export class ManifestMemo {
  private readonly held = new Map<string, readonly ManifestEntry[]>();
  private entries = 0;

  constructor(private readonly maxEntries: number) {}

  get(contentId: string): readonly ManifestEntry[] | undefined {
    const m = this.held.get(contentId);
    if (m !== undefined) {
      this.held.delete(contentId);
      this.held.set(contentId, m);
    }
    return m;
  }

  set(contentId: string, manifest: readonly ManifestEntry[]): void {
    if (manifest.length > this.maxEntries || this.held.has(contentId)) return;
    this.held.set(contentId, manifest);
    this.entries += manifest.length;
    for (const [id, m] of this.held) {
      if (this.entries <= this.maxEntries) break;
      this.held.delete(id);
      this.entries -= m.length;
    }
  }

  /** Entries held now (for tests and bounds). */
  get size(): number {
    return this.entries;
  }
}
