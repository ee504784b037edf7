import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError, normalizeEntryPath } from '@cairn/core';
import type { ManifestEntry } from '@cairn/core';
import type { DraftItem } from './draft-items.js';
import { SIDECAR_FILE } from './t9k.js';
import type { ArtifactDict, ArtifactObject, RemoteRecord } from './t9k.js';
import { compareUtf16AsCodePoints } from './upload.js';

/** A draft's items as t9k objects, by path. */
export function objectsOfItems(items: Iterable<DraftItem>): ArtifactObject[] {
  return [...items]
    .map((it): ArtifactObject =>
      it.kind === 'file'
        ? { path: it.path, size: it.size, localPath: it.localPath }
        : { ...it.entry },
    )
    .sort((a, b) => compareUtf16AsCodePoints(a.path, b.path));
}

/** A logged manifest as t9k objects; with `local`, stored files point at their downloaded copy. */
export function objectsOfEntries(
  entries: readonly ManifestEntry[],
  local: string | undefined,
): ArtifactObject[] {
  return entries.map((e) => ({
    ...e,
    ...(local !== undefined && e.sha256 !== undefined
      ? { localPath: join(local, ...e.path.split('/')) }
      : {}),
  }));
}

/** Objects back into draft items: files read from `localPath`, anything with a digest an entry. */
export function itemsOfObjects(objects: unknown): DraftItem[] {
  if (!Array.isArray(objects)) {
    throw new ValidationError('objects must be a list of objects', { rule: 'dict.objects' });
  }
  return (objects as ArtifactObject[]).map((o): DraftItem => {
    const path = normalizeEntryPath(o?.path);
    if (typeof o.size !== 'number') {
      throw new ValidationError(`object ${JSON.stringify(path)} has no size`, {
        rule: 'dict.objects',
      });
    }
    if (typeof o.localPath === 'string' && o.digest === undefined) {
      return { kind: 'file', path, localPath: o.localPath, size: o.size };
    }
    if (typeof o.digest === 'string') {
      const { localPath: _local, ...entry } = o;
      return { kind: 'entry', entry: { ...entry, path, digest: o.digest } };
    }
    throw new ValidationError(
      `object ${JSON.stringify(path)} has neither a localPath nor a digest`,
      {
        rule: 'dict.objects',
      },
    );
  });
}

/** Objects that are all manifest entries (a logged artifact's), without their local copies. */
export function entriesOfObjects(objects: readonly ArtifactObject[]): ManifestEntry[] | undefined {
  if (objects.length === 0 || !objects.every((o) => typeof o.digest === 'string')) return undefined;
  return objects.map(({ localPath: _l, ...e }) => ({ ...e, digest: e.digest as string }));
}

export async function readSidecar(local: string): Promise<Partial<ArtifactDict> | undefined> {
  return readFile(join(local, SIDECAR_FILE), 'utf8').then(
    (t) => JSON.parse(t) as Partial<ArtifactDict>,
    () => undefined,
  );
}

export async function writeSidecar(local: string, dict: ArtifactDict): Promise<void> {
  await mkdir(local, { recursive: true });
  await writeFile(join(local, SIDECAR_FILE), `${JSON.stringify(dict, null, 2)}\n`);
}

/**
 * The history of an artifact whose local directory already holds it (the directory is named by
 * the alternative name, so every load of one artifact shares it): older records first.
 */
export async function continuedHistory(
  local: string,
  alternativeName: string,
  remote: readonly RemoteRecord[],
): Promise<RemoteRecord[]> {
  const before = await readSidecar(local);
  if (before?.alternativeName !== alternativeName || !Array.isArray(before.remote)) {
    return [...remote];
  }
  const seen = new Set(remote.map((r) => JSON.stringify(r)));
  return [...before.remote.filter((r) => !seen.has(JSON.stringify(r))), ...remote];
}
