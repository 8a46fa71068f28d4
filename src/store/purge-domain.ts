import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Scope } from '../domain/scope.js';
import type { DomainPurge, PurgePosition, Store } from './types.js';

/**
 * Rows a part of a purge deletes, in a transaction of its own. On SQLite a part holds the one thread every
 * request shares (1,000 rows: a few milliseconds; 5,000 held it up to 270 ms). On PostgreSQL parts of
 * 10,000 were slower in all (300,000 records: more than 4 min against 14 s), the planner then reading
 * the domain's whole range to sort it rather than walking the key's index.
 */
const PART_ROWS = 1_000;

/** While another runner's part holds the last rows: how long to wait before looking again. */
const HELD_RETRY_MS = 50;

/**
 * The one purge path of deleted domains' data (DomainRepository.delete leaves it), run by DeleteDomain
 * for its own domain (a small domain is gone before it answers), by CreateDomain for a name still being
 * purged, and by the engine's reaper for the rest, a process's that died mid-purge included. Each part is
 * a transaction of its own, with a turn of the event loop between two. Runs until nothing is left
 * (`done`) or `until` (a performance.now() time) passes (`pending`); `only` limits it to one domain. Two
 * runners on one domain (a reaper on each node) pass over each other's rows.
 */
export async function purgeDeletedDomains(store: Store, options: { only?: { scope: Scope; domainName: string }; until?: number } = {}): Promise<'done' | 'pending'> {
  const until = options.until ?? Number.POSITIVE_INFINITY;
  const { only } = options;
  let position: { of: string; at: PurgePosition } | undefined;
  for (;;) {
    const purge: DomainPurge | undefined = only ? await store.domainPurges.of(only.scope, only.domainName) : await store.domainPurges.oldest();
    if (!purge) return 'done';
    const key = `${purge.scope.accountId}/${purge.scope.region}/${purge.domainName}`;
    const from = position?.of === key ? position.at : undefined;
    const part = await store.transaction((tx) => tx.domainPurges.removeSome(purge, PART_ROWS, from));
    position = part.position && { of: key, at: part.position };
    // Nothing this runner could take: either all gone, or rows held by another runner's part.
    if (part.removed === 0 && !(await store.transaction((tx) => tx.domainPurges.finish(purge)))) {
      if (performance.now() >= until) return 'pending';
      await new Promise((resolve) => setTimeout(resolve, HELD_RETRY_MS));
      continue;
    }
    if (performance.now() >= until) {
      const left = only ? await store.domainPurges.of(only.scope, only.domainName) : await store.domainPurges.oldest();
      return left ? 'pending' : 'done';
    }
    await nextTurn();
  }
}
