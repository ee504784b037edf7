/** What the SDK reports while it moves bytes (the CLI draws it as a progress bar). */
export interface TransferProgress {
  /** 'hashing', 'uploading', 'committing', 'downloading' or 'placing'. */
  phase: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export type ProgressListener = (p: TransferProgress) => void;

const MIN_INTERVAL_MS = 100;

/** Counts files and bytes of one phase and reports at most every 100 ms (and at the end). */
export class ProgressReporter {
  private p: TransferProgress;
  private last = 0;

  constructor(
    private readonly listener: ProgressListener | undefined,
    phase: string,
    filesTotal: number,
    bytesTotal: number,
  ) {
    this.p = { phase, filesDone: 0, filesTotal, bytesDone: 0, bytesTotal };
    this.emit(true);
  }

  add(files: number, bytes: number): void {
    this.p.filesDone += files;
    this.p.bytesDone += bytes;
    this.emit(false);
  }

  done(): void {
    this.p.filesDone = this.p.filesTotal;
    this.p.bytesDone = this.p.bytesTotal;
    this.emit(true);
  }

  private emit(force: boolean): void {
    if (!this.listener) return;
    const now = Date.now();
    if (!force && now - this.last < MIN_INTERVAL_MS) return;
    this.last = now;
    this.listener({ ...this.p });
  }
}

/** Passes a file's bytes through, counting them and, at the end, the file, on `progress`. */
export async function* countedFile(
  source: AsyncIterable<Uint8Array>,
  progress: ProgressReporter,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    progress.add(0, chunk.length);
    yield chunk;
  }
  progress.add(1, 0);
}
