import { Command } from 'commander';
import { artifactCommand } from './commands/artifact.js';
import { folderCommand } from './commands/folder.js';
import { gcCommand } from './commands/gc.js';
import { lineageCommand } from './commands/lineage.js';
import { serverCommand } from './commands/server.js';

const program = new Command()
  .name('cairn')
  .description('Versioned artifacts and lineage for machine learning')
  .version('0.1.0')
  .showHelpAfterError();

serverCommand(program);
artifactCommand(program);
lineageCommand(program);
gcCommand(program);
folderCommand(program);

await program.parseAsync(process.argv);
