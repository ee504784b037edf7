import type { Command } from 'commander';
import { folderLsCommand } from './folder-ls.js';
import { folderMkCommand } from './folder-mk.js';
import { folderMvCommand } from './folder-mv.js';
import { folderRmCommand } from './folder-rm.js';

/**
 * `cairn folder …`: t9k's folder tree. A path without a leading `/` is under the client's
 * entity (CAIRN_ENTITY), so `vision/mnist` is `/<entity>/vision/mnist`.
 */
export function folderCommand(program: Command): void {
  const folder = program
    .command('folder')
    .description(
      'make, list, move and delete folders (/<entity>/<path>; relative = under CAIRN_ENTITY)',
    );
  for (const add of [folderMkCommand, folderLsCommand, folderMvCommand, folderRmCommand])
    add(folder);
}
