/** Tables of migration 002 (runs), as Kysely sees them; JSON columns are text. */
// A type alias, not an interface: Kysely's withTables needs an index-signature-compatible type.
export type RunTables = {
  runs: {
    id: string;
    entity: string;
    project: string;
    name: string;
    job_type: string | null;
    config: string;
    state: string;
    exit_code: number | null;
    step: number;
    heartbeat_at: string;
    created_at: string;
    finished_at: string | null;
  };
  /** Migration 011. */
  run_history: { run_id: string; step: number; data: string; created_at: string };
};
