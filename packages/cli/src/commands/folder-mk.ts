import type { Command } from 'commander';
import { clientFrom, type ClientFlags } from '../client.js';
import { action, printResult } from '../output.js';
import { withClientOptions } from './artifact.js';

interface MkFlags extends ClientFlags {
  parents?: boolean;
  json?: boolean;
}

export function folderMkCommand(folder: Command): void {
  withClientOptions(
    folder
      .command('mk <path>')
      .description('create a folder (its parent must exist unless --parents)')
      .option('-p, --parents', 'create missing parents; an existing folder is fine'),
  ).action(
    action(async (path: string, flags: MkFlags) => {
      const made = await clientFrom(flags).folders.make(path, { parents: flags.parents === true });
      printResult(flags, made, () => `created ${made.fullPath}`);
    }),
  );
}
