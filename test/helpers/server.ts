import { CustomerProfilesClient } from '@aws-sdk/client-customer-profiles';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../src/engine/clock.js';
import type { Engine, EngineOptions } from '../../src/engine/engine.js';
import type { ConnectorPolicy } from '../../src/connectors/policy.js';
import type { KeyStagingPolicy } from '../../src/store/dialects/row-writers/sqlite-key-staging.js';
import { startProfileflowParts } from '../../src/testing/index.js';
import { testConnectorPolicy } from './connector-policy.js';
import { type Backend, POSTGRES_URL, type TestStore } from './backends.js';

export interface TestServer {
  app: FastifyInstance;
  url: string;
  store: TestStore['store'];
  /**
   * The engine, in manual mode unless asked otherwise: nothing runs until the test calls
   * `engine.advance({ pages })` or `engine.runUntilIdle()`, so no test waits on timing.
   */
  engine: Pick<Engine, 'advance' | 'runUntilIdle' | 'onEvent'>;
  /** The official client, built with maxAttempts 1 so that a 429 or 500 is seen as it is. */
  client: CustomerProfilesClient;
  /** A client of another account (12-digit access key id) or region. */
  clientFor(options: { accountId?: string; region?: string }): CustomerProfilesClient;
  close(): Promise<void>;
}

export const TEST_REGION = 'us-east-1';
export const TEST_ACCOUNT = '000000000000';

/**
 * profileflow on an ephemeral loopback port over a fresh store, started through `profileflow/testing`
 * (so the suite runs what a user's suite runs), with the suite's own clock and connector policy, and
 * SQLite in memory.
 */
export async function startServer(
  backend: Backend,
  options: {
    clock?: Clock;
    engine?: Partial<Omit<EngineOptions, 'mode'>> & { mode?: 'manual' | 'auto' };
    connectorPolicy?: ConnectorPolicy;
    /** SQLite: when staged key index entries are merged (a small policy merges at almost every write). */
    sqliteKeyStaging?: KeyStagingPolicy;
  } = {},
): Promise<TestServer> {
  const { mode, connectorPolicy: _ignored, ...engine } = options.engine ?? {};
  const { profileflow, store, engine: running } = await startProfileflowParts(
    { backend, databaseUrl: POSTGRES_URL, engineMode: mode ?? 'manual', engine, region: TEST_REGION, accountId: TEST_ACCOUNT },
    { clock: options.clock, connectorPolicy: options.connectorPolicy ?? testConnectorPolicy(), sqliteInMemory: true, sqliteKeyStaging: options.sqliteKeyStaging },
  );
  const clients: CustomerProfilesClient[] = [];
  const clientFor = (o: { accountId?: string; region?: string }) => {
    const client = new CustomerProfilesClient(profileflow.clientConfigFor(o));
    clients.push(client);
    return client;
  };
  return {
    app: profileflow.app,
    url: profileflow.endpoint,
    store,
    engine: { advance: (o) => running.advance(o), runUntilIdle: () => running.runUntilIdle(), onEvent: (l) => running.onEvent(l) },
    client: clientFor({}),
    clientFor,
    close: async () => {
      for (const c of clients) c.destroy();
      await profileflow.stop();
    },
  };
}

/** Runs `run` against a fresh server (manual engine) on `backend`, closed afterwards whatever happens. */
export async function withTestServer(backend: Backend, run: (s: TestServer) => Promise<void>): Promise<void> {
  const s = await startServer(backend);
  try {
    await run(s);
  } finally {
    await s.close();
  }
}
