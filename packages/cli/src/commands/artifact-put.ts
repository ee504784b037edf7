import { CairnError, parseArtifactRef } from '@cairn/core';
import { Artifact } from '@cairn/sdk';
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { clientFrom, type ClientFlags } from '../client.js';
import { action, formatBytes, printResult } from '../output.js';
import { progressBar } from '../progress.js';
import { collect, withClientOptions } from './artifact.js';

interface PutFlags extends ClientFlags {
  name: string;
  type: string;
  alias?: string[];
  tag?: string[];
  description?: string;
  metadata?: string;
  json?: boolean;
}

export function putCommand(artifact: Command): void {
  withClientOptions(
    artifact
      .command('put <path>')
      .description('log a file or directory as a new version of an artifact')
      .requiredOption('--name <[entity/]project/name>', 'where to log it')
      .requiredOption('--type <type>', 'artifact type, e.g. dataset or model')
      .option('--alias <alias>', 'alias for the new version (repeatable)', collect)
      .option('--tag <tag>', 'tag for the new version (repeatable)', collect)
      .option('--description <text>', 'description of the version')
      .option('--metadata <json>', 'metadata as a JSON object'),
  ).action(
    action(async (path: string, flags: PutFlags) => {
      const client = clientFrom(flags);
      const ref = parseArtifactRef(flags.name, client.defaults());
      if (ref.alias !== undefined || ref.digest !== undefined) {
        throw new CairnError(
          'VALIDATION',
          `--name ${flags.name} must not carry an alias or digest; use --alias`,
        );
      }
      let metadata: Record<string, unknown> | undefined;
      if (flags.metadata !== undefined) {
        try {
          metadata = JSON.parse(flags.metadata) as Record<string, unknown>;
        } catch {
          throw new CairnError('VALIDATION', '--metadata must be a JSON object');
        }
      }
      const info = await stat(path).catch(() => {
        throw new CairnError('NOT_FOUND', `${path} does not exist`);
      });
      const a = new Artifact({
        name: ref.collection,
        type: flags.type,
        ...(flags.description !== undefined ? { description: flags.description } : {}),
        ...(metadata !== undefined ? { metadata } : {}),
      });
      if (info.isDirectory()) await a.addDir(path);
      else await a.addFile(path);
      const bar = progressBar(!flags.json);
      try {
        await client.save(a, {
          entity: ref.entity,
          project: ref.project,
          aliases: flags.alias ?? [],
          tags: flags.tag ?? [],
          onProgress: (p) => bar.update(p),
        });
        bar.stop();
        const digest = await a.digest();
        printResult(
          flags,
          {
            id: a.id,
            qualifiedName: a.qualifiedName,
            version: a.version,
            digest,
            created: a.created,
            size: a.size,
            fileCount: a.fileCount,
            aliases: a.aliases,
            tags: a.tags,
          },
          () =>
            a.created
              ? `logged ${a.qualifiedName} (${a.fileCount} files, ${formatBytes(a.size)}, digest ${digest})`
              : `unchanged: ${a.qualifiedName} already has this content (digest ${digest}); no new version`,
        );
      } finally {
        bar.stop();
      }
    }),
  );
}
