import type { ManifestEntry, Page } from '@cairn/core';
import type { HttpClient } from './http.js';

export interface FilesOptions {
  /** Only these entry paths. */
  names?: string[];
  /** Entries fetched per request (default 50, as W&B). */
  perPage?: number;
  /** A cursor saved from an earlier iterator's `cursor`, to resume there. */
  start?: string;
}

/**
 * Pages through a version's entries. `cursor` is where the next unread page starts (undefined
 * once the last page was read): save it and pass it as `start` to resume later.
 */
export class FilesIterator implements AsyncIterable<ManifestEntry> {
  cursor: string | undefined;
  private done = false;

  constructor(
    private readonly http: HttpClient,
    private readonly versionId: string,
    private readonly opts: FilesOptions,
  ) {
    this.cursor = opts.start;
  }

  /** The next page of entries, or an empty list when there are no more. */
  async nextPage(): Promise<ManifestEntry[]> {
    if (this.done) return [];
    const page = await this.http.json<Page<ManifestEntry>>(
      'GET',
      `/versions/${this.versionId}/files`,
      {
        query: {
          names: this.opts.names?.join(','),
          limit: this.opts.perPage ?? 50,
          cursor: this.cursor,
        },
      },
    );
    this.cursor = page.nextCursor;
    if (page.nextCursor === undefined) this.done = true;
    return page.items;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ManifestEntry> {
    for (;;) {
      const items = await this.nextPage();
      yield* items;
      if (this.done) return;
    }
  }
}
