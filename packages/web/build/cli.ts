import { buildUi } from './index.js';

const out = await buildUi(process.argv[2]);
process.stdout.write(`web UI built in ${out}\n`);
