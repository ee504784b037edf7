import type { Command } from 'commander';
import { clientFrom, type ClientFlags } from '../client.js';
import { action, formatBytes, printResult } from '../output.js';
import { progressBar } from '../progress.js';
import { withClientOptions } from './artifact.js';

interface GetFlags extends ClientFlags {
  root?: string;
  pathPrefix?: string;
  skipCache?: boolean;
  json?: boolean;
}

export function getCommand(artifact: Command): void {
  withClientOptions(
    artifact
      .command('get <ref>')
      .description('download a version ([entity/]project/name[:alias]) into a directory')
      .option('--root <dir>', 'where to put the files (default ./artifacts/<name>)')
      .option('--path-prefix <prefix>', 'only files under this prefix')
      .option('--skip-cache', 'do not read or fill the local cache'),
  ).action(
    action(async (ref: string, flags: GetFlags) => {
      const client = clientFrom(flags);
      const a = await client.artifact(ref);
      const bar = progressBar(!flags.json);
      try {
        const root = await a.download({
          ...(flags.root !== undefined ? { root: flags.root } : {}),
          ...(flags.pathPrefix !== undefined ? { pathPrefix: flags.pathPrefix } : {}),
          skipCache: flags.skipCache === true,
          onProgress: (p) => bar.update(p),
        });
        bar.stop();
        printResult(
          flags,
          {
            root,
            qualifiedName: a.qualifiedName,
            id: a.id,
            digest: await a.digest(),
            fileCount: a.fileCount,
            size: a.size,
          },
          () =>
            `downloaded ${a.qualifiedName} to ${root} (${a.fileCount} files, ${formatBytes(a.size)})`,
        );
      } finally {
        bar.stop();
      }
    }),
  );
}
