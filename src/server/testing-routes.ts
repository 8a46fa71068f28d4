import type { FastifyInstance, FastifyReply } from 'fastify';
import { BadRequestException } from '../api/errors.js';
import { idSeed, seedIds } from '../domain/ids.js';
import type { Engine } from '../engine/engine.js';
import type { WebhookDispatcher } from '../engine/webhooks.js';
import type { Store } from '../store/types.js';
import { readJsonObject } from './engine-routes.js';
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
 * reset all state, seed ids, inject faults by operation, see webhook deliveries. JSON in and out;
 * errors in the AWS envelope. The clock and the manual engine have their own routes (engine-routes.ts).
 */
export function registerTestingRoutes(app: FastifyInstance, deps: TestingRouteDeps): void {
  /**
   * Empties every table but the migrations' and the page-token secret, in one transaction. A step
   * running meanwhile is not waited for: its next write is guarded by its lease on a row that no longer
   * exists, so it matches nothing, writes nothing, and the runner ends it as cancelled — nothing deleted
   * comes back. Fault rules and the id seed are this process's settings, not state: they stay.
   */
  app.post('/_profileflow/reset', async (_request, reply) => {
    const tables = await deps.store.reset();
    await deps.afterReset?.();
    deps.engine?.wake();
    return sendJson(reply, 200, { reset: true, tables });
  });

  app.get('/_profileflow/ids', async (_request, reply) => sendJson(reply, 200, { seed: idSeed() ?? null }));

  app.post('/_profileflow/ids', async (request, reply) => {
    const body = readJsonObject(request.body);
    const seed = body.seed;
    if (seed !== null && !(typeof seed === 'string' && seed.length >= 1 && seed.length <= 256) && !Number.isSafeInteger(seed)) {
      throw new BadRequestException('seed must be a string of 1 to 256 characters, a whole number, or null (random ids again).');
    }
    seedIds(seed === null ? undefined : String(seed));
    deps.faults.reseed();
    return sendJson(reply, 200, { seed: idSeed() ?? null });
  });

  app.get('/_profileflow/faults', async (_request, reply) => sendJson(reply, 200, { rules: deps.faults.list() }));

  app.put('/_profileflow/faults', async (request, reply) => {
    const rules = deps.faults.replace(parseJson(request.body));
    return sendJson(reply, 200, { rules });
  });

  app.delete('/_profileflow/faults', async (_request, reply) => {
    deps.faults.clear();
    return sendJson(reply, 200, { rules: [] });
  });

  app.get('/_profileflow/webhooks', async (request, reply) => {
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

function parseJson(body: unknown): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
  if (text.trim() === '') throw new BadRequestException('The request body must be JSON.');
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestException('The request body is not valid JSON.');
  }
}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(body), 'utf8'));
}
