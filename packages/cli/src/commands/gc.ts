import { CairnError } from '@cairn/core';
import type { Command } from 'commander';
import { clientFrom, type ClientFlags } from '../client.js';
import { action, formatBytes, printResult } from '../output.js';

interface GcFlags extends ClientFlags {
  grace?: string;
  json?: boolean;
}

export function gcCommand(program: Command): void {
  program
    .command('gc')
    .description(
      'collect garbage on the server: bytes no version or upload uses, sparse packs, orphans',
    )
    .option('--grace <seconds>', 'keep unlinked bytes readable this long before deleting', '3600')
    .option('--url <url>', 'server URL (or CAIRN_URL; default http://127.0.0.1:8080)')
    .option('--api-key <key>', 'API key (or CAIRN_API_KEY)')
    .option('--json', 'print one JSON object')
    .action(
      action(async (flags: GcFlags) => {
        const grace = Number(flags.grace);
        if (!Number.isFinite(grace) || grace < 0) {
          throw new CairnError(
            'VALIDATION',
            `--grace must be a number of seconds ≥ 0, got ${flags.grace}`,
          );
        }
        const r = await clientFrom(flags).gc({ graceMs: Math.round(grace * 1000) });
        printResult(flags, r, () =>
          [
            `unlinked ${r.blobsUnlinked} blobs (${formatBytes(r.bytesUnlinked)})`,
            `dropped ${r.packsDropped} empty packs, repacked ${r.packsRepacked}`,
            `found ${r.orphansFound} orphaned objects, deleted ${r.objectsDeleted} objects`,
            `in ${r.durationMs} ms`,
          ].join('\n'),
        );
      }),
    );
}
