import type { Migration } from 'kysely';
import type { AnyDb } from './index.js';

/**
 * Events and webhooks. The event stream and the webhook sweep find what changed by polling
 * `updated_at`, from every process, because a `profileflow worker` writes rows the API process never
 * touched: one index per table keeps each poll a short range scan.
 *
 * `webhook_deliveries` is the durable outbox: a delivery is a row before it is a POST, so one that a
 * restart interrupted is sent by the next process (at least once).
 */
export const m008EventsWebhooks: Migration = {
  async up(db: AnyDb) {
    await db.schema.createIndex('workflows_by_updated').on('workflows').columns(['updated_at']).execute();
    await db.schema.createIndex('workflow_steps_by_updated').on('workflow_steps').columns(['updated_at']).execute();

    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('delivery_id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('workflow_id', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('delivered_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // The dispatcher looks for pending deliveries that are due.
    await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  },
};
