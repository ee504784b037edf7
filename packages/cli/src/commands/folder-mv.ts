import { formatFolderPath } from '@cairn/core';
import type { Command } from 'commander';
import { clientFrom, type ClientFlags } from '../client.js';
import { action, printResult } from '../output.js';
import { withClientOptions } from './artifact.js';

interface MvFlags extends ClientFlags {
  parents?: boolean;
  json?: boolean;
}

export function folderMvCommand(folder: Command): void {
  withClientOptions(
    folder
      .command('mv <from> <to>')
      .description('move or rename a folder with every artifact and subfolder below it')
      .option('-p, --parents', "create the destination's missing parents"),
  ).action(
    action(async (from: string, to: string, flags: MvFlags) => {
      const client = clientFrom(flags);
      const source = client.folders.resolve(from);
      const moved = await client.folders.move(from, to, { parents: flags.parents === true });
      const was = formatFolderPath(source);
      printResult(flags, { from: was, ...moved }, () => `moved ${was} to ${moved.fullPath}`);
    }),
  );
}
