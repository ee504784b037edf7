import type { BlobInfo } from '@cairn/core';
import { copyNewFile } from './file-copy.js';
import type { HttpClient } from './http.js';

/**
 * Large files copied into a file a server on this machine names (`POST /blobs/local-uploads`),
 * in the kernel: no bytes through JavaScript or a socket. The server hashes what arrived there
 * and answers its SHA-256 and MD5. The copy goes in order from the start (copy_file_range, or a
 * reflink that appears whole), so the server is asked to follow it: it hashes while the kernel
 * copies, and `finish`, sent once the copy is complete, only reads the rest.
 *
 * Offered by servers on loopback whose store is a local folder; `CAIRN_LOCAL_COPY=0` turns it
 * off. Once a copy cannot be started, made or adopted (that folder is not writable to this user,
 * the server may not link a file this user owns, an object store, a server without the route),
 * `copy` answers undefined for this file and every later one: the socket does it its own way.
 */
export class LocalUploader {
  private onOffer: boolean;

  constructor(private readonly http: HttpClient) {
    this.onOffer = isLoopbackUrl(http.baseUrl) && process.env['CAIRN_LOCAL_COPY'] !== '0';
  }

  /** The server's hashes of the file as copied, or undefined when it must go by socket. */
  async copy(localPath: string): Promise<BlobInfo | undefined> {
    if (!this.onOffer) return undefined;
    let ticket: { id: string; path: string };
    try {
      ticket = await this.http.json<{ id: string; path: string }>(
        'POST',
        '/blobs/local-uploads?follow=true',
      );
    } catch {
      this.onOffer = false;
      return undefined;
    }
    const at = `/blobs/local-uploads/${encodeURIComponent(ticket.id)}`;
    try {
      await copyNewFile(localPath, ticket.path, 0o644);
      return await this.http.json<BlobInfo>('POST', `${at}/finish`);
    } catch {
      this.onOffer = false;
      await this.http.json('DELETE', at).catch(() => undefined);
      return undefined;
    }
  }
}

/** True when the server is on this machine (a loopback address): sending bytes costs no network. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
