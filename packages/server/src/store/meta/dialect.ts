import { sql, type ColumnDefinitionBuilder, type Kysely, type RawBuilder } from 'kysely';

/**
 * The only place migrations learn which database they run on. SQLite and PostgreSQL share every
 * migration; where their DDL differs (auto-increment ids, text ordering) the column builders
 * below say it once.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

/** A table or column name for SQL written by hand (same quoting on both dialects). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The column type of an auto-increment integer id. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function idType(db: Kysely<any>): 'integer' | 'serial' {
  return isPostgres(db) ? 'serial' : 'integer';
}

/** An auto-increment primary key on SQLite; `serial` is one already on PostgreSQL. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function idColumn(db: Kysely<any>) {
  return (c: ColumnDefinitionBuilder) =>
    isPostgres(db) ? c.primaryKey() : c.primaryKey().autoIncrement();
}

/**
 * Text compared byte-wise, i.e. in code-point order for UTF-8: cursors and manifest order need
 * it, and SQLite's default collation already is. PostgreSQL's default follows the locale.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function codePointText(db: Kysely<any>) {
  return (c: ColumnDefinitionBuilder) => (isPostgres(db) ? c.modifyEnd(sql`collate "C"`) : c);
}

/**
 * ORDER BY a text column in code-point order on every dialect, for columns created without
 * `codePointText` (aliases, tags, ARNs): on PostgreSQL their order would otherwise follow the
 * database's locale (en_US puts `a` before `B` and `_x` first), unlike SQLite's.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function codePointOrder(db: Kysely<any>, column: string): RawBuilder<unknown> {
  return isPostgres(db) ? sql`${sql.ref(column)} collate "C"` : sql`${sql.ref(column)}`;
}
