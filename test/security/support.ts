import { CustomerProfilesClient } from '@aws-sdk/client-customer-profiles';
import type { HttpRequest } from '@smithy/protocol-http';
import type { FastifyInstance } from 'fastify';
import type { Credential } from '../../src/auth/credentials.js';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/server/app.js';
import type { ThrottleOptions } from '../../src/server/throttle.js';
import { type Backend, createTestStore, type TestStore } from '../helpers/backends.js';
import { signRequest as signWith, type SignOptions as SignedRequestOptions } from '../helpers/sigv4.js';

export { sendSigned } from '../helpers/sigv4.js';

export const KEY_A = 'AKIDACCOUNTA0000001';
export const KEY_A2 = 'AKIDACCOUNTA0000002';
export const KEY_B = 'AKIDACCOUNTB0000001';
export const ACCOUNT_A = '111111111111';
export const ACCOUNT_B = '222222222222';
export const CREDENTIALS = new Map<string, Credential>([
  [KEY_A, { secretAccessKey: 'secret-of-a/with+odd=chars', accountId: ACCOUNT_A }],
  [KEY_A2, { secretAccessKey: 'second-secret-of-a', accountId: ACCOUNT_A }],
  [KEY_B, { secretAccessKey: 'secret-of-b', accountId: ACCOUNT_B }],
]);
/** As a credentials file holds them. */
export const CREDENTIALS_JSON = JSON.stringify(Object.fromEntries(CREDENTIALS));
/** The operator's key: declared apart, it reaches /_profileflow/ and acts in no account. */
export const OPERATOR_KEY = 'AKIDOPERATOR0000001';
export const OPERATOR_SECRET = 'secret-of-the-operator';
/** Tenants and the operator, as the service verifies them. */
export const ALL_CREDENTIALS = new Map<string, Credential>([...CREDENTIALS, [OPERATOR_KEY, { secretAccessKey: OPERATOR_SECRET, accountId: '', role: 'operator' }]]);

export interface SecureServer {
  app: FastifyInstance;
  url: string;
  engine: Engine;
  store: TestStore['store'];
  /** An official client signing with a configured key (or any key and secret given). */
  client(options?: { accessKeyId?: string; secretAccessKey?: string; region?: string; maxAttempts?: number }): CustomerProfilesClient;
  close(): Promise<void>;
}

/** profileflow with SigV4 verification (and optionally throttling) on an ephemeral loopback port. */
export async function startSecureServer(
  options: { backend?: Backend; auth?: 'off' | 'sigv4'; throttle?: ThrottleOptions; listen?: boolean } = {},
): Promise<SecureServer> {
  const testStore = await createTestStore(options.backend ?? 'sqlite');
  const engine = new Engine(testStore.store, systemClock, { mode: 'manual' });
  const app = await buildApp({
    store: testStore.store,
    engine,
    auth: { mode: options.auth ?? 'sigv4', credentials: ALL_CREDENTIALS },
    throttle: options.throttle,
  });
  engine.start();
  const url = options.listen === false ? 'http://localhost' : await app.listen({ host: '127.0.0.1', port: 0 });
  const clients: CustomerProfilesClient[] = [];
  return {
    app,
    url,
    engine,
    store: testStore.store,
    client: (o = {}) => {
      const accessKeyId = o.accessKeyId ?? KEY_A;
      const client = new CustomerProfilesClient({
        endpoint: url,
        region: o.region ?? 'us-east-1',
        maxAttempts: o.maxAttempts ?? 1,
        credentials: { accessKeyId, secretAccessKey: o.secretAccessKey ?? CREDENTIALS.get(accessKeyId)?.secretAccessKey ?? 'x' },
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const c of clients) c.destroy();
      await engine.stop();
      await app.close();
      await testStore.dispose();
    },
  };
}

export type SignOptions = Omit<SignedRequestOptions, 'accessKeyId' | 'secretAccessKey'> & { accessKeyId?: string; secretAccessKey?: string };

/** A request signed by the SDK's own signer, returned unsent so a test can tamper with it; account A's key unless told. */
export function signRequest(baseUrl: string, method: string, path: string, o: SignOptions = {}): Promise<HttpRequest> {
  const accessKeyId = o.accessKeyId ?? KEY_A;
  return signWith(baseUrl, method, path, { ...o, accessKeyId, secretAccessKey: o.secretAccessKey ?? ALL_CREDENTIALS.get(accessKeyId)?.secretAccessKey ?? 'x' });
}
