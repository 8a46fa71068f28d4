import type { Kysely } from 'kysely';
import type { Database } from '../../schema.js';
import type { DialectCapabilities } from '../capabilities.js';
import type { SqliteStatements } from '../sqlite-statements.js';
import { genericRowWriters } from './generic.js';
import { postgresRowWriters } from './postgres.js';
import { sqliteRowWriters } from './sqlite.js';
import type { RowWriters } from './types.js';

export type { RowWriters } from './types.js';
export { genericRowWriters, postgresRowWriters, sqliteRowWriters };

/**
 * The one place the write path's implementation is chosen: prepared statements on a SQLite
 * transaction's store, arrays on PostgreSQL, plain Kysely otherwise (SQLite outside a transaction).
 */
export function rowWritersFor(db: Kysely<Database>, capabilities: DialectCapabilities, statements: SqliteStatements | undefined): RowWriters {
  if (statements) return sqliteRowWriters(db, statements);
  if (capabilities.arrayParameters) return postgresRowWriters(db);
  return genericRowWriters(db, { lockRows: capabilities.skipLocked });
}
