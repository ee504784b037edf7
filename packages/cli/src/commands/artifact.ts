import type { Command } from 'commander';
import { getCommand } from './artifact-get.js';
import { linkCommand, unlinkCommand } from './artifact-link.js';
import { lsCommand } from './artifact-ls.js';
import { putCommand } from './artifact-put.js';
import { rmCommand } from './artifact-rm.js';
import { verifyCommand } from './artifact-verify.js';

export function artifactCommand(program: Command): void {
  const artifact = program
    .command('artifact')
    .description('log, fetch, list, verify and delete artifact versions');
  for (const add of [
    putCommand,
    getCommand,
    lsCommand,
    verifyCommand,
    rmCommand,
    linkCommand,
    unlinkCommand,
  ]) {
    add(artifact);
  }
}

/** Options every artifact subcommand shares. */
export function withClientOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server URL (or CAIRN_URL; default http://127.0.0.1:8080)')
    .option('--api-key <key>', 'API key (or CAIRN_API_KEY)')
    .option('--json', 'print one JSON object');
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
