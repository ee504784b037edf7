import { manifestDigest, validateEntries } from '@cairn/core';
import type {
  CommitRequest,
  CommitResult,
  FolderPlacement,
  ManifestEntry,
  PlacedCommitRequest,
  PlacementResult,
  VersionInfo,
} from '@cairn/core';
import type { ClientContext } from './context.js';
import { allSettled, draftKey, draftKeyOfItems } from './digest-memo.js';
import { directTransfer } from './direct-transfer.js';
import type { DraftItem, LocalFileItem } from './draft-items.js';
import { EarlyUploads } from './early-upload.js';
import { entryOf, prepareFiles } from './prepare.js';
import { ProgressReporter } from './progress.js';
import type { ProgressListener } from './progress.js';
import { nowMs } from './stat-cache.js';
import { StreamedLarge, streamsLarge } from './streamed-upload.js';
import { compareUtf16AsCodePoints, fetchLatest, sameAsLatest, uploadAndCommit } from './upload.js';
import type { UploadStats, UploadTarget } from './upload.js';

/** A draft on its way to becoming a version: where it goes, what it holds, what it commits with. */
export interface DraftLog {
  ctx: ClientContext;
  target: UploadTarget;
  items: readonly DraftItem[];
  /** Everything the commit carries but the entries (validated by the caller). */
  commit: Omit<CommitRequest, 'entries'> & { aliases: string[]; tags: string[] };
  /** A t9k upload into a folder commits through `place`, which applies its conflict strategy. */
  placement?: FolderPlacement;
  /**
   * Whether content equal to `latest` may stop the log here. Only W&B's save and t9k's
   * `version` strategy may; the other strategies must reach the commit, which decides under the
   * collection's lock.
   */
  mayShortcut: boolean;
  onProgress?: ProgressListener;
}

export type DraftLogOutcome =
  /** The content (and the aliases and tags asked for) equal `latest`: no version was made. */
  | { kind: 'unchanged'; version: VersionInfo; stats: UploadStats }
  /** Another upload took the name first and the conflict strategy keeps theirs. */
  | { kind: 'skipped'; version: VersionInfo }
  /** Committed; `entries` is the manifest as the server stores it when a version was created. */
  | {
      kind: 'committed';
      result: CommitResult | PlacementResult;
      entries: ManifestEntry[] | undefined;
      stats: UploadStats;
    };

const NOTHING_SENT: UploadStats = { missing: 0, bytesSent: 0, packs: 0, largeBlobs: 0 };

/**
 * Logs a draft: the digest memo first (an unchanged tree stops there), else every file hashed
 * through the stat cache while full batches of small ones are already sent and large ones are
 * streamed to a server on this machine, then the upload negotiation and the commit. `latest` is
 * asked for while hashing; content equal to it stops before any session is opened.
 */
export async function logDraft(log: DraftLog): Promise<DraftLogOutcome> {
  const { ctx, target, items, mayShortcut } = log;
  const { aliases, tags } = log.commit;
  // Asked while hashing; the result is only used if nothing failed.
  const latest = fetchLatest(ctx.http, target).then(
    (v) => ({ v }),
    (err: unknown) => ({ err }),
  );
  const latestVersion = async (): Promise<VersionInfo | undefined> => {
    const known = await latest;
    if ('err' in known) throw known.err;
    return known.v;
  };
  /** `latest` when content of this digest (with these aliases and tags) would equal it. */
  const sameLatest = (v: VersionInfo | undefined, digest: string): VersionInfo | undefined =>
    mayShortcut && sameAsLatest(v, target.type, digest, aliases, tags) ? v : undefined;

  // A draft whose files all have the stats they had when last logged has that log's digest:
  // equal to latest, nothing needs hashing, looking up or sending.
  const memoKey = mayShortcut ? draftKeyOfItems(items) : undefined;
  const remembered = memoKey === undefined ? undefined : ctx.digests.get(memoKey);
  if (remembered !== undefined) {
    const same = sameLatest(await latestVersion(), remembered);
    if (same) {
      // Nothing was hashed: the phase is reported whole, as a stat-cache hit of every file is.
      const local = items.filter((i): i is LocalFileItem => i.kind === 'file');
      const bytes = local.reduce((n, f) => n + f.size, 0);
      new ProgressReporter(log.onProgress, 'hashing', local.length, bytes).done();
      return { kind: 'unchanged', version: same, stats: NOTHING_SENT };
    }
  }

  // Full batches of freshly hashed small files are sent while the rest is still hashed.
  const early = new EarlyUploads(ctx.http, target);
  try {
    const hashStartedMs = nowMs();
    // Through the server, large files are hashed here with SHA-256 only: the server computes
    // their MD5 while it verifies the upload (or already knows it), so MD5 runs once, not twice.
    const throughServer = directTransfer(ctx.http).then((d) => d === undefined);
    // To a server on this machine, large files are sent while they are read (StreamedLarge).
    const streamed = new StreamedLarge(ctx.http);
    const prepared = await prepareFiles(
      items,
      ctx.statCache,
      true,
      log.onProgress,
      (p) => early.offer(p),
      {
        deferLargeMd5: throughServer,
        largeHasher: throughServer.then((yes) =>
          yes && streamsLarge(ctx.http.baseUrl) ? streamed.hash : undefined,
        ),
      },
    );
    await ctx.statCache.save();
    const others = items.flatMap((i) => (i.kind === 'entry' ? [i.entry] : []));
    // Unique by construction (the draft's items are keyed by path), pre-sorted with a cheap
    // comparator so validateEntries' code-point sort has little to do.
    const entriesNow = (): ManifestEntry[] =>
      [...prepared.map(entryOf), ...others].sort((a, b) =>
        compareUtf16AsCodePoints(a.path, b.path),
      );
    // The manifest, made once: its digest, and its check, whose failure only matters on the way
    // to a commit (content equal to latest is that of a version the server already checked).
    let made: Manifest | undefined;
    const manifestNow = (): Manifest => (made ??= makeManifest(entriesNow()));
    // Made while the server still stores the early batches, where every MD5 is known already.
    if (!prepared.some((p) => p.md5Pending)) manifestNow();
    await early.settle();
    // What the next log of the same files may skip to (see DigestMemo).
    const memoKey = (): string | undefined => {
      if (
        !mayShortcut ||
        !allSettled(
          prepared.map((p) => p.stat),
          hashStartedMs,
        )
      ) {
        return undefined;
      }
      const files = prepared.map((p) => ({ path: p.item.path, stat: p.stat }));
      return draftKey(files, others);
    };
    // Worked out while the commit is on its way (see commitFor), else when needed.
    let keyDuringCommit: { key: string | undefined } | undefined;
    const remember = (digest: string): void => {
      const key = keyDuringCommit ? keyDuringCommit.key : memoKey();
      if (key !== undefined) ctx.digests.set(key, digest);
    };
    // What this log sent: the commit's session, the early batches, the streamed large files.
    const totals = (s: UploadStats = NOTHING_SENT): UploadStats => ({
      missing: s.missing + early.stats.missing,
      bytesSent: s.bytesSent + early.stats.bytesSent + streamed.stats.bytesSent,
      packs: s.packs + early.stats.packs,
      largeBlobs: s.largeBlobs + streamed.stats.largeBlobs,
    });
    const unchanged = (version: VersionInfo, s?: UploadStats): DraftLogOutcome => {
      remember(version.digest);
      return { kind: 'unchanged', version, stats: totals(s) };
    };

    let entries: ManifestEntry[] | undefined;
    // Unchanged content (typically every hash came from the stat cache) needs no session.
    // Files still waiting for their MD5 are by definition not in the stat cache: rarely equal.
    const known = await latestVersion();
    if (made !== undefined) {
      const same = sameLatest(known, made.digest);
      if (same) return unchanged(same);
    }
    const commitFor = (): CommitRequest | PlacedCommitRequest | undefined => {
      const m = manifestNow();
      if (sameLatest(known, m.digest) !== undefined) return undefined;
      if ('err' in m.checked) throw m.checked.err;
      entries = m.checked;
      // The request is written before immediates run: the key is made while the server works.
      setImmediate(() => {
        keyDuringCommit = { key: memoKey() };
      });
      const plain: CommitRequest = {
        ...log.commit,
        entries,
        ...(early.sessionIds.length > 0 ? { releaseUploads: [...early.sessionIds] } : {}),
      };
      return log.placement ? { ...plain, placement: log.placement } : plain;
    };
    // What the early batches covered is pinned by their sessions and stored already.
    const rest =
      early.covered.size === 0
        ? prepared
        : prepared.filter((p) => !early.covered.has(p.hashes.sha256));
    const { result, stats } = await uploadAndCommit(
      ctx.http,
      ctx.statCache,
      target,
      rest,
      others,
      commitFor,
      log.onProgress,
    );
    if (result !== undefined) early.releasedByCommit();
    await ctx.statCache.save();
    if (result === undefined) return unchanged(known as VersionInfo, stats);
    if ((result as Partial<PlacementResult>).outcome === 'skipped') {
      return { kind: 'skipped', version: result.version };
    }
    remember(result.version.digest);
    // The server records new bytes as born in this version; keep the cached manifest equal.
    // `entries` are validateEntries' fresh copies, this log's own: set in place, not copied.
    let stored: ManifestEntry[] | undefined;
    if (result.created && entries !== undefined) {
      for (const e of entries) {
        if (e.birthArtifactId === undefined && e.sha256 !== undefined) {
          e.birthArtifactId = result.version.id;
        }
      }
      stored = entries;
    }
    return { kind: 'committed', result, entries: stored, stats: totals(stats) };
  } finally {
    await early.release();
  }
}

/** A draft's manifest: entries as listed, their digest, and validateEntries' answer for them. */
interface Manifest {
  digest: string;
  checked: ManifestEntry[] | { err: unknown };
}

function makeManifest(listed: ManifestEntry[]): Manifest {
  let checked: Manifest['checked'];
  try {
    checked = validateEntries(listed);
  } catch (err) {
    checked = { err };
  }
  return { digest: manifestDigest(listed), checked };
}
