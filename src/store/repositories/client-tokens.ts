import { type Kysely, sql } from 'kysely';
import type { ClientTokenKey, ClientTokenRecord, ClientTokenRepository } from '../appflow-types.js';
import type { Database } from '../schema.js';
import type { Scope } from '../../domain/scope.js';

export class KyselyClientTokenRepository implements ClientTokenRepository {
  /** `skipLocked`: PostgreSQL, where the purge passes over the records other transactions hold. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly skipLocked = false,
  ) {}

  async get(scope: Scope, key: ClientTokenKey, since: number): Promise<ClientTokenRecord | undefined> {
    const row = await this.db
      .selectFrom('client_tokens')
      .select(['fingerprint', 'response', 'created_at'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('operation', '=', key.operation)
      .where('resource_name', '=', key.resourceName)
      .where('client_token', '=', key.clientToken)
      .where('created_at', '>', since)
      .executeTakeFirst();
    if (!row) return undefined;
    // Claimed and answered in one transaction: no other reader ever sees a record without its answer.
    if (row.response === null) throw new Error(`The clientToken record of ${key.operation} has no answer.`);
    return { fingerprint: row.fingerprint, response: row.response, createdAt: Number(row.created_at) };
  }

  /**
   * Why an insert first, before the write it guards: it is what makes two identical requests at once do
   * the work once. On PostgreSQL the insert of a key that another open transaction has inserted waits for
   * that transaction to end; if it committed, the conflict's update, guarded to records no longer
   * active, changes nothing and the claim fails (the caller then answers the winner's record); if it
   * rolled back, the insert goes ahead and this request does the work. SQLite has one writer at a time.
   * A record past its active time is taken over in the same statement, so a token may be used again.
   */
  async claim(scope: Scope, key: ClientTokenKey, fingerprint: string, now: number, since: number): Promise<boolean> {
    const result = await this.db
      .insertInto('client_tokens')
      .values({
        account_id: scope.accountId,
        region: scope.region,
        operation: key.operation,
        resource_name: key.resourceName,
        client_token: key.clientToken,
        fingerprint,
        response: null,
        created_at: now,
      })
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'region', 'operation', 'resource_name', 'client_token'])
          .doUpdateSet({ fingerprint, response: null, created_at: now })
          .where('client_tokens.created_at', '<=', since),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async complete(scope: Scope, key: ClientTokenKey, response: string): Promise<void> {
    await this.db
      .updateTable('client_tokens')
      .set({ response })
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('operation', '=', key.operation)
      .where('resource_name', '=', key.resourceName)
      .where('client_token', '=', key.clientToken)
      .execute();
  }

  /**
   * Why at most `limit` rows, oldest first through `client_tokens_by_age`: the purge runs in line with a
   * request, which should not pay for a backlog of every token of a busy day at once; each call removes
   * more than it adds, so the backlog still drains. `created_at <= before` is checked again on the row
   * deleted: a record taken over meanwhile (claim) is active again and stays. On PostgreSQL the records
   * another transaction holds (one taking an expired token over) are skipped, never waited for: the purge
   * must not hold a request up behind another account's.
   */
  async purge(before: number, limit: number): Promise<number> {
    const result = await sql`delete from client_tokens where created_at <= ${before}
      and (account_id, region, operation, resource_name, client_token) in (
        select account_id, region, operation, resource_name, client_token from client_tokens
        where created_at <= ${before} order by created_at limit ${limit}${this.skipLocked ? sql` for update skip locked` : sql``})`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }
}
