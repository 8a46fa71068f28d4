import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import type { Scope } from '../../domain/scope.js';

/** A change to one domain's Stats: rows added (negative when removed) and bytes added. */
export interface StatsDelta {
  profiles: number;
  objects: number;
  bytes: number;
}

/**
 * Collects the Stats changes the repositories report and writes them to `domain_stats`.
 *
 * Why deferred to the end of a transaction: the counter row of a domain is one row every ingesting
 * transaction of that domain updates. Updated mid-transaction, its lock would be held (PostgreSQL) while
 * the rest of the batch is written, serializing concurrent workers; written just before commit, it is
 * held for the commit alone. Domains are flushed in name order, so two transactions touching the same
 * two domains cannot deadlock on their counters. Outside a transaction each change is written at once.
 */
export class StatsLedger {
  private readonly pending = new Map<string, { scope: Scope; domainName: string; delta: StatsDelta }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly deferred: boolean,
  ) {}

  async add(scope: Scope, domainName: string, delta: StatsDelta): Promise<void> {
    if (delta.profiles === 0 && delta.objects === 0 && delta.bytes === 0) return;
    if (!this.deferred) return applyDelta(this.db, scope, domainName, delta);
    const key = JSON.stringify([scope.accountId, scope.region, domainName]);
    const entry = this.pending.get(key);
    if (!entry) {
      this.pending.set(key, { scope, domainName, delta: { ...delta } });
      return;
    }
    entry.delta.profiles += delta.profiles;
    entry.delta.objects += delta.objects;
    entry.delta.bytes += delta.bytes;
  }

  /** Forgets what is pending for a domain that is being deleted. */
  discard(scope: Scope, domainName: string): void {
    this.pending.delete(JSON.stringify([scope.accountId, scope.region, domainName]));
  }

  async flush(): Promise<void> {
    const keys = [...this.pending.keys()].sort();
    for (const key of keys) {
      const { scope, domainName, delta } = this.pending.get(key)!;
      this.pending.delete(key);
      await applyDelta(this.db, scope, domainName, delta);
    }
  }
}

async function applyDelta(db: Kysely<Database>, scope: Scope, domainName: string, delta: StatsDelta): Promise<void> {
  if (delta.profiles === 0 && delta.objects === 0 && delta.bytes === 0) return;
  await db
    .insertInto('domain_stats')
    .values({
      account_id: scope.accountId,
      region: scope.region,
      domain_name: domainName,
      profile_count: delta.profiles,
      object_count: delta.objects,
      total_size: delta.bytes,
    })
    .onConflict((oc) =>
      oc.columns(['account_id', 'region', 'domain_name']).doUpdateSet({
        profile_count: sql`domain_stats.profile_count + excluded.profile_count`,
        object_count: sql`domain_stats.object_count + excluded.object_count`,
        total_size: sql`domain_stats.total_size + excluded.total_size`,
      }),
    )
    .execute();
}
