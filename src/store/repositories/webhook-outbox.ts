import type { Kysely, Selectable } from 'kysely';
import type { NewWebhookDelivery, WebhookDelivery, WebhookDeliveryStatus, WebhookOutboxRepository } from '../activity-types.js';
import type { Database, WebhookDeliveriesTable } from '../schema.js';

/** One watermark per sweep: finished workflows (the original key, kept), ended flow runs, profile merges. */
const WATERMARK_KEYS = { workflows: 'webhook_sweep_watermark', runs: 'webhook_run_sweep_watermark', merges: 'webhook_merge_sweep_watermark' } as const;

export class KyselyWebhookOutboxRepository implements WebhookOutboxRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async enqueue(deliveries: NewWebhookDelivery[], now: number): Promise<number> {
    let added = 0;
    for (const d of deliveries) {
      // ON CONFLICT DO NOTHING (both dialects): the sweep re-finds the same final workflows on every
      // pass of its overlap window, and the delivery id (URL, workflow, status) makes that a no-op.
      const result = await this.db
        .insertInto('webhook_deliveries')
        .values({
          delivery_id: d.deliveryId,
          account_id: d.scope.accountId,
          region: d.scope.region,
          domain_name: d.domainName,
          workflow_id: d.workflowId,
          event: d.event,
          url: d.url,
          body: d.body,
          status: 'PENDING',
          attempts: 0,
          next_attempt_at: now,
          lease_owner: null,
          lease_expires_at: null,
          last_error: null,
          delivered_at: null,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('delivery_id').doNothing())
        .executeTakeFirst();
      added += Number(result.numInsertedOrUpdatedRows ?? 0n) > 0 ? 1 : 0;
    }
    return added;
  }

  async due(now: number, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('status', '=', 'PENDING')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]))
      .orderBy('next_attempt_at')
      .orderBy('delivery_id')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  /** Compare-and-set: only one process's UPDATE matches a free lease. */
  async claim(deliveryId: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({ lease_owner: owner, lease_expires_at: now + leaseMs })
      .where('delivery_id', '=', deliveryId)
      .where('status', '=', 'PENDING')
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delivered(deliveryId: string, owner: string, attempts: number, now: number): Promise<boolean> {
    const result = await this.owned(deliveryId, owner)
      .set({ status: 'DELIVERED', attempts, delivered_at: now, lease_owner: null, lease_expires_at: null, last_error: null, updated_at: now })
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async failed(deliveryId: string, owner: string, attempts: number, error: string, nextAttemptAt: number | undefined, now: number): Promise<boolean> {
    const result = await this.owned(deliveryId, owner)
      .set({
        status: nextAttemptAt === undefined ? 'FAILED' : 'PENDING',
        attempts,
        next_attempt_at: nextAttemptAt ?? now,
        last_error: error.slice(0, 1000),
        lease_owner: null,
        lease_expires_at: null,
        updated_at: now,
      })
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async list(limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('delivery_id')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  async prune(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('webhook_deliveries')
      .where('status', '!=', 'PENDING')
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async sweepWatermark(sweep: keyof typeof WATERMARK_KEYS = 'workflows'): Promise<number | undefined> {
    const row = await this.db.selectFrom('settings').select('value').where('key', '=', WATERMARK_KEYS[sweep]).executeTakeFirst();
    return row ? Number(row.value) : undefined;
  }

  async setSweepWatermark(updatedAt: number, sweep: keyof typeof WATERMARK_KEYS = 'workflows'): Promise<void> {
    await this.db
      .insertInto('settings')
      .values({ key: WATERMARK_KEYS[sweep], value: String(updatedAt) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(updatedAt) }))
      .execute();
  }

  private owned(deliveryId: string, owner: string) {
    return this.db.updateTable('webhook_deliveries').where('delivery_id', '=', deliveryId).where('lease_owner', '=', owner);
  }
}

function fromRow(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    deliveryId: row.delivery_id,
    scope: { accountId: row.account_id, region: row.region },
    domainName: row.domain_name,
    workflowId: row.workflow_id,
    event: row.event,
    url: row.url,
    body: row.body,
    status: row.status as WebhookDeliveryStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: row.last_error ?? undefined,
    deliveredAt: row.delivered_at === null ? undefined : Number(row.delivered_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
