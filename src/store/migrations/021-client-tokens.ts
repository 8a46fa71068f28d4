import { type Migration, SqliteAdapter, sql } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * AppFlow's idempotency tokens: one row per clientToken a write was done under (CreateFlow,
 * CreateConnectorProfile, UpdateFlow, UpdateConnectorProfile, StartFlow), written in that write's
 * transaction, holding the request's fingerprint and the answer it got
 * (operations/appflow/client-token.ts).
 *
 * `resource_name` is the resource a token is scoped to, or '' when its scope is the whole operation.
 * `client_tokens_by_age` serves the purge of tokens past their active time, oldest first, and nothing
 * else: every other read names the whole key. A new table: nothing to move. Text columns compare by
 * bytes on PostgreSQL (`COLLATE "C"`, migration 019); SQLite's are BINARY already.
 */
export const m021ClientTokens: Migration = {
  async up(db: AnyDb) {
    const text = db.getExecutor().adapter instanceof SqliteAdapter ? sql.raw('text') : sql.raw('text collate "C"');
    await sql`
      create table client_tokens (
        account_id ${text} not null,
        region ${text} not null,
        operation ${text} not null,
        resource_name ${text} not null,
        client_token ${text} not null,
        fingerprint ${text} not null,
        response ${text},
        created_at bigint not null,
        constraint client_tokens_pk primary key (account_id, region, operation, resource_name, client_token)
      )
    `.execute(db);
    await sql`create index client_tokens_by_age on client_tokens (created_at)`.execute(db);
  },
};
