import type { TransferProgress } from '@cairn/sdk';
import cliProgress from 'cli-progress';
import { formatBytes } from './output.js';

/**
 * A progress bar on stderr showing files, bytes and rate — only when stderr is a terminal and
 * the output is not JSON, so scripts and pipes see clean output.
 */
export function progressBar(enabled: boolean): {
  update(p: TransferProgress): void;
  stop(): void;
} {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{phase} |{bar}| {files} files | {bytes} | {rate}/s',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let phase = '';
  let running = false;
  return {
    update(p) {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      const payload = {
        phase: p.phase.padEnd(8),
        files: `${p.filesDone}/${p.filesTotal}`,
        bytes: `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`,
        rate: formatBytes(p.bytesDone / seconds),
      };
      if (!running || phase !== p.phase) {
        if (running) bar.stop();
        bar.start(Math.max(p.bytesTotal, 1), p.bytesDone, payload);
        running = true;
        phase = p.phase;
      } else {
        bar.setTotal(Math.max(p.bytesTotal, 1));
        bar.update(p.bytesDone, payload);
      }
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
