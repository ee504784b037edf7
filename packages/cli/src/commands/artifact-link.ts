import type { Command } from 'commander';
import { clientFrom, type ClientFlags } from '../client.js';
import { action, printResult } from '../output.js';
import { collect, withClientOptions } from './artifact.js';

interface LinkFlags extends ClientFlags {
  alias?: string[];
  json?: boolean;
}

export function linkCommand(artifact: Command): void {
  withClientOptions(
    artifact
      .command('link <ref> <target>')
      .description('link a version into a registry collection (registry/<registry>/<collection>)')
      .option('--alias <alias>', 'alias for the link in that collection (repeatable)', collect),
  ).action(
    action(async (ref: string, target: string, flags: LinkFlags) => {
      const a = await clientFrom(flags).artifact(ref);
      const link = await a.link(target, flags.alias ?? []);
      printResult(
        flags,
        {
          id: link.id,
          qualifiedName: link.qualifiedName,
          source: a.qualifiedName,
          aliases: link.aliases,
        },
        () => `linked ${a.qualifiedName} as ${link.qualifiedName}`,
      );
    }),
  );
}

export function unlinkCommand(artifact: Command): void {
  withClientOptions(
    artifact
      .command('unlink <ref>')
      .description(
        'remove a registry link (registry/<registry>/<collection>:<alias|vN>); the source stays',
      ),
  ).action(
    action(async (ref: string, flags: ClientFlags & { json?: boolean }) => {
      const link = await clientFrom(flags).artifact(ref);
      await link.unlink();
      printResult(
        flags,
        { unlinked: true, qualifiedName: link.qualifiedName },
        () => `unlinked ${link.qualifiedName}`,
      );
    }),
  );
}
