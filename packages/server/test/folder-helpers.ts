import type { UploadSession } from '@cairn/core';
import { fileEntry, json, post, putPack, sha256 } from './helpers.js';

/** A t9k upload: the negotiation, then the commit into a folder with a conflict strategy. */
export async function place(
  api: string,
  folder: string,
  name: string,
  files: Record<string, string>,
  conflictStrategy: string,
  alternativeName?: string,
): Promise<Response> {
  const entries = Object.entries(files).map(([p, b]) => fileEntry(p, b));
  const session = await json<UploadSession>(
    post(`${api}/uploads`, {
      entity: 'alice',
      project: folder,
      collection: name,
      type: 'dataset',
      sha256: entries.map((e) => e.sha256),
    }),
  );
  const bySha = new Map(Object.values(files).map((b) => [sha256(b), b]));
  if (session.missing.length > 0) {
    await json(
      putPack(
        api,
        session.missing.map((x) => bySha.get(x) ?? ''),
      ),
    );
  }
  return post(`${api}/uploads/${session.uploadId}/place`, {
    entries,
    placement: { conflictStrategy, ...(alternativeName ? { alternativeName } : {}) },
  });
}

export async function errorOf(res: Response | Promise<Response>): Promise<string> {
  const r = await res;
  const b = (await r.json()) as { error: { code: string; message: string } };
  return `${r.status} ${b.error.code} ${b.error.message}`;
}
