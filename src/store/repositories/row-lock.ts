import type { SelectQueryBuilder } from 'kysely';
import type { RowLock } from '../types.js';

/**
 * The read with the row lock it asks for (types.ts, RowLock); none where the backend has no concurrent
 * writers (`rowLocks` false: SQLite, whose one writer at a time needs none and whose SQL has none).
 */
export function withRowLock<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  lock: RowLock | undefined,
  rowLocks: boolean,
): SelectQueryBuilder<DB, TB, O> {
  if (!rowLocks) return query;
  if (lock === 'update') return query.forUpdate();
  if (lock === 'no-key-update') return query.forNoKeyUpdate();
  if (lock === 'key-share') return query.forKeyShare();
  return query;
}
