import type { Command } from 'commander';
import { clientFrom, type ClientFlags } from '../client.js';
import { action, formatBytes, printResult, versionCount } from '../output.js';
import { withClientOptions } from './artifact.js';

interface LsFlags extends ClientFlags {
  type?: string;
  versions?: boolean;
  json?: boolean;
}

export function lsCommand(artifact: Command): void {
  withClientOptions(
    artifact
      .command('ls <path>')
      .description(
        'list the artifacts of a project ([entity/]project), or with --versions the versions of one ([entity/]project/name)',
      )
      .option('--type <type>', 'only artifacts of this type')
      .option('--versions', 'list the versions of one artifact'),
  ).action(
    action(async (path: string, flags: LsFlags) => {
      const client = clientFrom(flags);
      if (flags.versions) {
        const versions = await client.versions(path);
        printResult(
          flags,
          { items: versions },
          () =>
            versions
              .map(
                (v) =>
                  `v${v.index}\t${v.digest}\t${v.fileCount} files\t${formatBytes(v.size)}\t${v.createdAt}\t${v.aliases.join(',')}`,
              )
              .join('\n') || '(no versions)',
        );
        return;
      }
      const collections = await client.collections(path, flags.type);
      printResult(
        flags,
        { items: collections },
        () =>
          collections
            .map((c) => `${c.name}\t${c.type}\t${versionCount(c.versionCount)}\t${c.updatedAt}`)
            .join('\n') || '(no artifacts)',
      );
    }),
  );
}
