import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestException } from '../api/errors.js';
import { idSeed, seedIds } from '../domain/ids.js';
import type { Engine } from '../engine/engine.js';
import type { WebhookDispatcher } from '../engine/webhooks.js';
import type { Store } from '../store/types.js';
import { accountScopeOf } from './access.js';
import { readJsonBody, readJsonObject, sendJson } from './admin-json.js';
import type { FaultInjector } from './faults.js';

export interface TestingRouteDeps {
  store: Store;
  faults: FaultInjector;
  engine?: Engine;
  webhooks?: WebhookDispatcher;
  /** Runs after a reset (the CLI declares the config file's connector profiles again). */
  afterReset?: () => Promise<void>;
}

/**
 * Controls for people testing their own code against profileflow (LocalStack's and moto's, freely):
 * reset state, seed ids, inject faults by operation, see webhook deliveries. JSON in and out; errors in
 * the AWS envelope. The clock and the manual engine have their own routes (engine-routes.ts).
 * Reset and faults are `account` routes: a tenant acts on its own account, which lets tests running in
 * parallel against one service isolate by account; the rest are the operator's.
 */
export function registerTestingRoutes(app: FastifyInstance, deps: TestingRouteDeps): void {
  /**
   * Empties every table but the migrations' and the page-token secret (for one account: every row of
   * that account), in one transaction. A step running meanwhile is not waited for: its next write is
   * guarded by its lease on a row that no longer exists, so it matches nothing, writes nothing, and the
   * runner ends it as cancelled — nothing deleted comes back. Fault rules and the id seed are this
   * process's settings, not state: they stay.
   */
  app.post('/reset', { config: { access: 'account' } }, async (request, reply) => {
    const accountId = accountScopeOf(request, askedAccount(request));
    const tables = await deps.store.reset(accountId);
    // Connector profiles belong to no account: declared again only when they were emptied.
    if (accountId === undefined) await deps.afterReset?.();
    deps.engine?.wake();
    return sendJson(reply, 200, { reset: true, tables, ...(accountId !== undefined ? { accountId } : {}) });
  });

  app.get('/ids', { config: { access: 'operator' } }, async (_request, reply) => sendJson(reply, 200, { seed: idSeed() ?? null }));

  app.post('/ids', { config: { access: 'operator' } }, async (request, reply) => {
    const body = readJsonObject(request.body);
    const seed = body.seed;
    if (seed !== null && !(typeof seed === 'string' && seed.length >= 1 && seed.length <= 256) && !Number.isSafeInteger(seed)) {
      throw new BadRequestException('seed must be a string of 1 to 256 characters, a whole number, or null (random ids again).');
    }
    seedIds(seed === null ? undefined : String(seed));
    deps.faults.reseed();
    return sendJson(reply, 200, { seed: idSeed() ?? null });
  });

  app.get('/faults', { config: { access: 'account' } }, async (request, reply) =>
    sendJson(reply, 200, { rules: deps.faults.list(accountScopeOf(request, undefined)) }),
  );

  app.put('/faults', { config: { access: 'account' } }, async (request, reply) => {
    const body = readJsonBody(request.body);
    if (body === undefined) throw new BadRequestException('The request body must be JSON: a list of fault rules, or {"rules": [...]}.');
    const rules = deps.faults.replace(body, accountScopeOf(request, undefined));
    return sendJson(reply, 200, { rules });
  });

  app.delete('/faults', { config: { access: 'account' } }, async (request, reply) => {
    deps.faults.clear(accountScopeOf(request, undefined));
    return sendJson(reply, 200, { rules: [] });
  });

  app.get('/webhooks', { config: { access: 'operator' } }, async (request, reply) => {
    const limit = Number((request.query as Record<string, string | undefined>).limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadRequestException('limit must be a whole number from 1 to 1000.');
    const deliveries = await deps.store.webhookOutbox.list(limit);
    return sendJson(reply, 200, {
      // Secrets stay in the config file: only where and what.
      webhooks: (deps.webhooks?.webhooks ?? []).map((w) => ({ url: w.url, events: w.events })),
      deliveries: deliveries.map((d) => ({
        deliveryId: d.deliveryId,
        url: d.url,
        event: d.event,
        accountId: d.scope.accountId,
        region: d.scope.region,
        domainName: d.domainName,
        workflowId: d.workflowId,
        status: d.status,
        attempts: d.attempts,
        nextAttemptAt: new Date(d.nextAttemptAt).toISOString(),
        ...(d.lastError ? { lastError: d.lastError } : {}),
        ...(d.deliveredAt !== undefined ? { deliveredAt: new Date(d.deliveredAt).toISOString() } : {}),
        createdAt: new Date(d.createdAt).toISOString(),
      })),
    });
  });
}

/** `{"accountId": "…"}` in the body, or `?accountId=`: one account to reset; neither: every account. */
function askedAccount(request: FastifyRequest): string | undefined {
  const body = readJsonObject(request.body);
  const query = (request.query as Record<string, string | undefined>).accountId;
  const asked = body.accountId ?? query;
  if (asked === undefined) return undefined;
  if (typeof asked !== 'string' || !/^\d{12}$/.test(asked)) throw new BadRequestException('accountId must be a 12-digit account id.');
  return asked;
}
