/**
 * The one staleness rule of ingestion: a record older than the stored object does not replace it;
 * without a time on either side there is nothing to compare, and the later write wins [I].
 *
 * Ingestion applies it before writing (a stale record leaves its object and profile alone), and the
 * store applies its SQL form (`notStale` in store/dialects/row-writers/generic.ts) inside the upsert,
 * because two PostgreSQL transactions may write the same object concurrently and whichever commits last
 * must still not replace a newer version. A store test checks both forms agree on every case.
 */
export function isStale(incoming: number | undefined | null, stored: number | undefined | null): boolean {
  return incoming !== undefined && incoming !== null && stored !== undefined && stored !== null && incoming < Number(stored);
}
