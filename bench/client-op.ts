/**
 * One client operation of the benchmark, run in its own process so its peak RSS is its own.
 * Prints one JSON line: { seconds, maxRssMb, created? }.
 *   client-op.ts log <url> <cacheDir> <name> <path>
 *   client-op.ts get <url> <cacheDir> <ref> <root>
 */
import { Artifact, Cairn } from '@cairn/sdk';
import { stat } from 'node:fs/promises';

const [op, url, cacheDir, nameOrRef, path] = process.argv.slice(2);
if (!op || !url || !cacheDir || !nameOrRef || !path) {
  throw new Error('usage: client-op.ts log|get <url> <cacheDir> <name|ref> <path>');
}
const cairn = new Cairn({ url, cacheDir, entity: 'bench', project: 'bench' });
const started = process.hrtime.bigint();
let created: boolean | undefined;
if (op === 'log') {
  const artifact = new Artifact({ name: nameOrRef, type: 'dataset' });
  if ((await stat(path)).isDirectory()) await artifact.addDir(path);
  else await artifact.addFile(path);
  const result = await cairn.save(artifact);
  created = result.created;
} else if (op === 'get') {
  const artifact = await cairn.artifact(nameOrRef);
  await artifact.download({ root: path });
} else {
  throw new Error(`unknown op ${op}`);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ seconds, maxRssMb, created })}\n`);
