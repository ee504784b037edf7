import { rename, rm, stat } from 'node:fs/promises';
import { CairnError, LOCAL_BLOBS_MAX_HASHES } from '@cairn/core';
import type { LocalBlobFiles } from '@cairn/core';
import { copyNewFile } from './file-copy.js';
import { hashFile } from './hashing.js';
import type { HttpClient } from './http.js';
import { isLoopbackUrl } from './local-upload.js';

/** A file a verified copy goes to: written under `tmp`, renamed to `path` once checked. */
export interface CopyTarget {
  tmp: string;
  path: string;
  mode: number;
}

/** Where a blob lies on this machine: a whole file, or (`offset` set) a range of a pack. */
export interface LocalBlobLocation {
  path: string;
  offset?: number;
}

/**
 * Where a server on this machine keeps these blobs as files (`POST /blobs/local`), by SHA-256,
 * one answer per LOCAL_BLOBS_MAX_HASHES blobs; with `packed`, blobs inside the server's packs
 * too, as ranges. Over a socket, a large blob costs its receiving, hashing and writing in
 * JavaScript, and 10^4 small ones their batching, framing and parsing on both sides; from the
 * files of the same machine it is a kernel copy, or a few large reads. The next answer is asked
 * for before this one is handed out, so the server looks up one batch while the caller reads the
 * last. Nothing for a server elsewhere, a store that is not a local folder, a server without the
 * route (an error ends the answers: the rest come over the socket), or with CAIRN_LOCAL_COPY=0.
 */
export async function* localBlobFiles(
  http: HttpClient,
  blobs: readonly { sha256: string; size: number }[],
  opts: { packed?: boolean } = {},
): AsyncGenerator<Map<string, LocalBlobLocation>> {
  if (blobs.length === 0 || process.env['CAIRN_LOCAL_COPY'] === '0') return;
  if (!isLoopbackUrl(http.baseUrl)) return;
  const sizes = new Map(blobs.map((b) => [b.sha256, b.size]));
  const hashes = [...sizes.keys()];
  const ask = (i: number): Promise<LocalBlobFiles | undefined> | undefined => {
    if (i >= hashes.length) return undefined;
    const sha256 = hashes.slice(i, i + LOCAL_BLOBS_MAX_HASHES);
    const json = opts.packed ? { sha256, packed: true } : { sha256 };
    return http.json<LocalBlobFiles>('POST', '/blobs/local', { json }).catch(() => undefined);
  };
  let pending = ask(0);
  for (let i = 0; pending; i += LOCAL_BLOBS_MAX_HASHES) {
    const answer = await pending;
    if (!answer) return; // an older server: everything comes over the socket, as before
    pending = ask(i + LOCAL_BLOBS_MAX_HASHES);
    const out = new Map<string, LocalBlobLocation>();
    for (const f of answer.items) {
      if (sizes.get(f.sha256) !== f.size || !f.path.startsWith('/')) continue;
      const offset = f.offset;
      if (offset === undefined) out.set(f.sha256, { path: f.path });
      else if (opts.packed && Number.isSafeInteger(offset) && offset >= 0)
        out.set(f.sha256, { path: f.path, offset });
    }
    yield out;
  }
}

/**
 * Copies a blob from a file of this machine to every target in the kernel (a reflink where the
 * filesystem shares blocks), while the source is read through SHA-256 here, beside the copies.
 * The targets are renamed into place only when that hash and every copy's size are the blob's,
 * so a wrong path can never place other bytes. The source is one of the server's objects, which
 * never change once written: the bytes hashed are the bytes copied.
 */
export async function copyVerified(
  src: string,
  sha256: string,
  size: number,
  targets: readonly CopyTarget[],
): Promise<void> {
  try {
    const [hashes] = await Promise.all([
      hashFile(src, size, { md5: false }),
      ...targets.map((t) => copyNewFile(src, t.tmp, t.mode)),
    ]);
    if (hashes.sha256 !== sha256 || hashes.size !== size) {
      throw new CairnError(
        'DIGEST_MISMATCH',
        `${src} holds ${hashes.size} bytes with SHA-256 ${hashes.sha256}, not blob ${sha256}`,
        { sha256 },
      );
    }
    for (const t of targets) {
      const copied = (await stat(t.tmp)).size;
      if (copied !== size) {
        throw new CairnError('DIGEST_MISMATCH', `copy of ${src} has ${copied} of ${size} bytes`, {
          sha256,
        });
      }
    }
    for (const t of targets) await rename(t.tmp, t.path);
  } catch (err) {
    await Promise.all(targets.map((t) => rm(t.tmp, { force: true })));
    throw err;
  }
}
