import type { SelectQueryBuilder } from 'kysely';
import type { RowLock } from '../types.js';

/** The read with the row lock it asks for (types.ts, RowLock); none on a backend without concurrent writers. */
export function withRowLock<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, lock: RowLock | undefined): SelectQueryBuilder<DB, TB, O> {
  if (lock === 'update') return query.forUpdate();
  if (lock === 'key-share') return query.forKeyShare();
  return query;
}
