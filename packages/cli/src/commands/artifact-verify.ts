import type { Command } from 'commander';
import { clientFrom, type ClientFlags } from '../client.js';
import { action, printResult } from '../output.js';
import { withClientOptions } from './artifact.js';

interface VerifyFlags extends ClientFlags {
  root?: string;
  json?: boolean;
}

export function verifyCommand(artifact: Command): void {
  withClientOptions(
    artifact
      .command('verify <ref>')
      .description('check a directory against a version: fails on missing, changed or extra files')
      .option('--root <dir>', 'directory to check (default ./artifacts/<name>)'),
  ).action(
    action(async (ref: string, flags: VerifyFlags) => {
      const a = await clientFrom(flags).artifact(ref);
      const root = flags.root ?? `./artifacts/${a.name}`;
      await a.verify(root);
      printResult(
        flags,
        { ok: true, root, qualifiedName: a.qualifiedName, fileCount: a.fileCount },
        () => `ok: ${root} matches ${a.qualifiedName} (${a.fileCount} files)`,
      );
    }),
  );
}
