import { constants } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** Bytes per read and per write of a copy done here; two such buffers alternate. */
const COPY_CHUNK_BYTES = 8 << 20;

/**
 * Copies `src` to `dest`, which must not exist: a reflink where the filesystem shares blocks
 * (btrfs, XFS), otherwise the bytes read and written here into a file created with O_EXCL.
 *
 * Not `fs.copyFile`'s own fallback: libuv truncates the new destination to zero first, and on
 * ext4 a truncate to zero arms the flush-on-close meant for programs that rewrite files in
 * place, so closing a 1 GiB copy waited a third of a second for writeback to be queued. The two
 * buffers let the read of one chunk run beside the write of the last.
 */
export async function copyNewFile(src: string, dest: string, mode: number): Promise<void> {
  try {
    await copyFile(src, dest, constants.COPYFILE_FICLONE_FORCE | constants.COPYFILE_EXCL);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw err;
    // No reflinks here (or across these two filesystems); libuv removed the file it made.
  }
  const input = await open(src, 'r');
  try {
    const output = await open(dest, 'wx', mode);
    try {
      const buffers = [Buffer.allocUnsafe(COPY_CHUNK_BYTES), Buffer.allocUnsafe(COPY_CHUNK_BYTES)];
      let writing: Promise<void> = Promise.resolve();
      try {
        for (let k = 0; ; k++) {
          const buf = buffers[k % 2] as Buffer;
          const { bytesRead } = await input.read(buf, 0, buf.length, null);
          await writing;
          if (bytesRead === 0) break;
          writing = writeAll(output, buf.subarray(0, bytesRead));
          // Awaited after the next read; a failure meanwhile is not an unhandled rejection.
          writing.catch(() => undefined);
        }
        await writing;
      } catch (err) {
        await writing.catch(() => undefined);
        throw err;
      }
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

async function writeAll(fh: FileHandle, bytes: Buffer): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, at, bytes.length - at);
    at += bytesWritten;
  }
}
