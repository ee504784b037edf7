import type { Migration, MigrationProvider } from 'kysely';
import * as m001 from './001_initial.js';
import * as m002 from './002_runs.js';
import * as m003 from './003_sagemaker.js';
import * as m005 from './005_gc.js';
import * as m006 from './006_ttl.js';
import * as m007 from './007_links.js';
import * as m008 from './008_tag_order.js';
import * as m011 from './011_run_history.js';
import * as m012 from './012_sagemaker_paging.js';
import * as m013 from './013_drop_entries_sha256.js';

/** Every migration, in order. Names sort lexically; never rename or edit a shipped one. */
const migrations: Record<string, Migration> = {
  '001_initial': m001,
  '002_runs': m002,
  '003_sagemaker': m003,
  '005_gc': m005,
  '006_ttl': m006,
  '007_links': m007,
  '008_tag_order': m008,
  '011_run_history': m011,
  '012_sagemaker_paging': m012,
  '013_drop_entries_sha256': m013,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
