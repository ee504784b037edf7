import { randomBytes } from 'node:crypto';
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { normalizeEntryPath, joinEntryPath } from '@cairn/core';
import type { ManifestEntry, VersionInfo } from '@cairn/core';

/**
 * The parts of TensorStack's `t9k.em.Artifact` that are not W&B's: object paths with a trailing
 * `/` meaning "inside this folder", the artifact's local directory, its alternative name and the
 * history of where it was uploaded to and downloaded from.
 */

export const DEFAULT_ARTIFACT_DIR = '.cairn/artifacts';
/** Written into an artifact's local directory so `loadArtifact(dir)` can restore it. */
export const SIDECAR_FILE = '.cairn-artifact.json';
/** Version metadata key under which an upload keeps the t9k fields the server has no column for. */
export const T9K_METADATA_KEY = 'cairn.t9k';

export function artifactDir(): string {
  const v = process.env['CAIRN_ARTIFACT_DIR'];
  return resolve(v === undefined || v === '' ? DEFAULT_ARTIFACT_DIR : v);
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** `<name>_<yymmdd>_<hhmmss>_<6 random characters>`, in UTC. */
export function makeAlternativeName(name: string, at: Date): string {
  const date = `${two(at.getUTCFullYear() % 100)}${two(at.getUTCMonth() + 1)}${two(at.getUTCDate())}`;
  const time = `${two(at.getUTCHours())}${two(at.getUTCMinutes())}${two(at.getUTCSeconds())}`;
  const suffix = [...randomBytes(6)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
  return `${name}_${date}_${time}_${suffix}`;
}

function lastName(p: string): string {
  return basename(p.replace(/[\\/]+$/, '')) || basename(resolve(p));
}

/**
 * The seed's rule for `add_file(file_path, obj_path)`: none → the file's name at the root;
 * ending in `/` → the file's name inside that folder; otherwise the path itself.
 */
export function fileObjPath(filePath: string, objPath: string | null): string {
  const name = basename(filePath);
  if (objPath === null || objPath === '') return normalizeEntryPath(name);
  return normalizeEntryPath(objPath.endsWith('/') ? `${objPath}${name}` : objPath);
}

/**
 * `add_dir(dir_path, obj_path)`: none → the directory's name at the root; ending in `/` → the
 * directory's name inside that folder (`'b/'` → `b/a`); otherwise the path itself (`'b/a'`).
 * '' puts the directory's contents at the artifact's root. Returns '' for the root.
 */
export function dirObjPath(dirPath: string, objPath: string | null): string {
  const name = lastName(dirPath);
  if (objPath === null) return normalizeEntryPath(name);
  if (objPath === '' || objPath === '.' || objPath === './') return '';
  return normalizeEntryPath(objPath.endsWith('/') ? `${objPath}${name}` : objPath);
}

/** `add_reference(uri, obj_path)`: a trailing `/` puts the URI's last segment inside it. */
export function referenceObjPath(uri: string, objPath: string | null): string | undefined {
  if (objPath === null || objPath === '') return undefined;
  if (!objPath.endsWith('/')) return normalizeEntryPath(objPath);
  const last = uri.replace(/\/+$/, '').split('/').pop() ?? '';
  return normalizeEntryPath(`${objPath}${decodeURIComponent(last)}`);
}

/**
 * Files below `dir` (file symlinks followed, directory symlinks not, as `addDir`), leaving out
 * the directory `skip` — the artifacts' own local directories, which `addDir('.')` from a
 * project root would otherwise copy into each other.
 */
/** Copies a file to its object path below `local`; returns the copy's path. */
export async function copyInto(local: string, src: string, entryPath: string): Promise<string> {
  const dest = join(local, ...entryPath.split('/'));
  if (resolve(src) !== dest) {
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(src, dest);
  }
  return dest;
}

export function joinObjPath(prefix: string, rel: string): string {
  return joinEntryPath(prefix, rel);
}

/** One upload or download, as t9k's `remote` history lists them. */
export interface RemoteRecord {
  action: 'upload' | 'download';
  /** ISO-8601 time. */
  timestamp: string;
  /** `/entity/folder/path` */
  folder: string;
  /** The artifact's name in the folder (the alternative name after a `new` upload). */
  name: string;
  /** `vN` */
  version: string;
  /** The version's id. */
  id: string;
  /** For uploads: what the conflict strategy did (created, renamed, replaced, versioned). */
  outcome?: string;
}

/**
 * One object of an artifact: a file (with the local copy it is read from) or a manifest entry
 * (a reference, or bytes stored on the server).
 */
export interface ArtifactObject extends Partial<Omit<ManifestEntry, 'path' | 'size'>> {
  path: string;
  size: number;
  /** The local file holding the bytes (for files added from disk or downloaded). */
  localPath?: string;
}

/** Everything `toDict()` writes and `Artifact.fromDict()` reads back. */
export interface ArtifactDict {
  name: string;
  type: string;
  description: string | null;
  labels: string[];
  aliases: string[];
  metadata: Record<string, unknown>;
  ttl: number | null | 'inherit';
  createdTimestamp: string;
  alternativeName: string;
  objects: ArtifactObject[];
  remote: RemoteRecord[];
  local: string;
  /** The logged version this artifact is, or null for a draft. */
  version: VersionInfo | null;
}

export interface T9kPersisted {
  alternativeName: string;
  createdTimestamp: string;
}

/** The t9k fields an upload kept in the version's metadata, if they are there and well-formed. */
export function t9kOf(metadata: Record<string, unknown>): T9kPersisted | undefined {
  const v = metadata[T9K_METADATA_KEY];
  if (typeof v !== 'object' || v === null) return undefined;
  const { alternativeName, createdTimestamp } = v as Record<string, unknown>;
  if (typeof alternativeName !== 'string' || typeof createdTimestamp !== 'string') return undefined;
  return { alternativeName, createdTimestamp };
}
