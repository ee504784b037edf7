import { formatFolderPath } from '@cairn/core';
import type { Command } from 'commander';
import { clientFrom, type ClientFlags } from '../client.js';
import { action, printResult } from '../output.js';
import { withClientOptions } from './artifact.js';

interface RmFlags extends ClientFlags {
  recursive?: boolean;
  json?: boolean;
}

export function folderRmCommand(folder: Command): void {
  withClientOptions(
    folder
      .command('rm <path>')
      .description('delete a folder (refused while it is not empty, unless --recursive)')
      .option('-r, --recursive', 'also delete every artifact version and subfolder below it'),
  ).action(
    action(async (path: string, flags: RmFlags) => {
      const client = clientFrom(flags);
      const r = await client.folders.delete(path, { recursive: flags.recursive === true });
      const full = formatFolderPath(client.folders.resolve(path));
      printResult(
        flags,
        { ...r, folder: full },
        () => `deleted ${full} (${r.folders} folder(s), ${r.versions} version(s))`,
      );
    }),
  );
}
