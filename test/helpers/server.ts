import { CustomerProfilesClient } from '@aws-sdk/client-customer-profiles';
import type { FastifyInstance } from 'fastify';
import { type Clock, systemClock } from '../../src/engine/clock.js';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import type { ConnectorPolicy } from '../../src/connectors/policy.js';
import { buildApp } from '../../src/server/app.js';
import { testConnectorPolicy } from './connector-policy.js';
import { type Backend, createTestStore, type TestStore } from './backends.js';

export interface TestServer {
  app: FastifyInstance;
  url: string;
  store: TestStore['store'];
  /**
   * The engine, in manual mode unless asked otherwise: nothing runs until the test calls
   * `engine.advance({ pages })` or `engine.runUntilIdle()`, so no test waits on timing.
   */
  engine: Engine;
  /** The official client, built with maxAttempts 1 so that a 429 or 500 is seen as it is. */
  client: CustomerProfilesClient;
  /** A client of another account (12-digit access key id) or region. */
  clientFor(options: { accountId?: string; region?: string }): CustomerProfilesClient;
  close(): Promise<void>;
}

export const TEST_REGION = 'us-east-1';
export const TEST_ACCOUNT = '000000000000';

/** profileflow on an ephemeral loopback port over a fresh store. */
export async function startServer(
  backend: Backend,
  options: { clock?: Clock; engine?: Partial<EngineOptions>; connectorPolicy?: ConnectorPolicy } = {},
): Promise<TestServer> {
  const testStore = await createTestStore(backend);
  const clock = options.clock ?? systemClock;
  const connectorPolicy = options.connectorPolicy ?? testConnectorPolicy();
  const engine = new Engine(testStore.store, clock, { mode: 'manual', connectorPolicy, ...options.engine });
  const app = await buildApp({ store: testStore.store, clock, engine, connectorPolicy });
  engine.start();
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const clients: CustomerProfilesClient[] = [];
  const clientFor = (o: { accountId?: string; region?: string }) => {
    const client = new CustomerProfilesClient({
      endpoint: url,
      region: o.region ?? TEST_REGION,
      maxAttempts: 1,
      credentials: { accessKeyId: o.accountId ?? 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    clients.push(client);
    return client;
  };
  return {
    app,
    url,
    store: testStore.store,
    engine,
    client: clientFor({}),
    clientFor,
    close: async () => {
      for (const c of clients) c.destroy();
      await engine.stop();
      await app.close();
      await testStore.dispose();
    },
  };
}
