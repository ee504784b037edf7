import type Database from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Kysely's SQLite driver prepares every statement on every execution; preparing costs as much as
 * running a small indexed query. This keeps prepared statements by SQL text (the same text is
 * the same statement: parameters are bound at run time), so a hot read — a DescribeArtifact,
 * a version lookup — pays for preparing once. Safe because the driver runs one query at a time
 * on its single connection and runs each statement to completion (or to the end of a stream)
 * before the next; SQLite re-prepares a cached statement itself after a schema change.
 */
export function withStatementCache(db: Database.Database, max = 2000): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (stmt) {
        // Most recently used last, so the oldest entry is the one to drop when full.
        cache.delete(sql);
      } else {
        stmt = db.prepare(sql) as unknown as SqliteStatement;
        if (cache.size >= max) {
          const oldest = cache.keys().next();
          if (!oldest.done) cache.delete(oldest.value);
        }
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}
