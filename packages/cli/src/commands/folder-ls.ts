import type { Command } from 'commander';
import { clientFrom, type ClientFlags } from '../client.js';
import { action, printResult, versionCount } from '../output.js';
import { withClientOptions } from './artifact.js';

export function folderLsCommand(folder: Command): void {
  withClientOptions(
    folder
      .command('ls [path]')
      .description("list a folder's subfolders and artifacts (default: the entity's root)"),
  ).action(
    action(async (path: string | undefined, flags: ClientFlags & { json?: boolean }) => {
      const listing = await clientFrom(flags).folders.list(path);
      printResult(flags, listing, () => {
        const lines = [
          ...listing.folders.map((f) => `${f.fullPath}/`),
          ...listing.artifacts.map(
            (a) =>
              `${listing.folder.fullPath}/${a.name}\t${a.type}\t${versionCount(a.versionCount)}`,
          ),
        ];
        return lines.join('\n') || `(${listing.folder.fullPath} is empty)`;
      });
    }),
  );
}
