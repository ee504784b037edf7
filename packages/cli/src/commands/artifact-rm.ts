import type { Command } from 'commander';
import { clientFrom, type ClientFlags } from '../client.js';
import { action, printResult } from '../output.js';
import { withClientOptions } from './artifact.js';

interface RmFlags extends ClientFlags {
  deleteAliases?: boolean;
  json?: boolean;
}

export function rmCommand(artifact: Command): void {
  withClientOptions(
    artifact
      .command('rm <ref>')
      .description('delete a version (refused while it has aliases, unless --delete-aliases)')
      .option('--delete-aliases', 'also remove its aliases'),
  ).action(
    action(async (ref: string, flags: RmFlags) => {
      const a = await clientFrom(flags).artifact(ref);
      await a.delete({ deleteAliases: flags.deleteAliases === true });
      printResult(
        flags,
        { deleted: true, id: a.id, qualifiedName: a.qualifiedName },
        () => `deleted ${a.qualifiedName}`,
      );
    }),
  );
}
