import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateDomainCommand, type CustomerProfilesClient } from '@aws-sdk/client-customer-profiles';
import { MAX_STREAMS_PER_ACCOUNT } from '../../src/server/events-routes.js';
import { eventually } from '../helpers/poll.js';
import { SseClient } from '../helpers/sse.js';
import { ALL_CONNECTOR_TYPES, createWorkflow, putObjectType } from '../helpers/workflows.js';
import { ACCOUNT_A, ACCOUNT_B, KEY_A, KEY_B, type SecureServer, sendSigned, signRequest, startSecureServer } from './support.js';

/** The events stream, opened with a request signed by `accessKeyId` (the SDK's signer). */
async function openSigned(s: SecureServer, accessKeyId: string, query: Record<string, string>): Promise<SseClient> {
  const signed = await signRequest(s.url, 'GET', '/_profileflow/events', { accessKeyId, query });
  const qs = new URLSearchParams(query).toString();
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== 'host'));
  return SseClient.open(`${s.url}/_profileflow/events?${qs}`, headers);
}

describe('GET /_profileflow/events with --auth sigv4', () => {
  let s: SecureServer;
  const streams: SseClient[] = [];
  before(async () => {
    s = await startSecureServer();
    await s.store.connectorProfiles.put(
      { name: 'scope-synthetic', kind: 'synthetic', connectorTypes: ALL_CONNECTOR_TYPES as never, settings: { recordsPerDay: 24, seed: 7 } },
      'api',
      Date.now(),
    );
  });
  after(async () => {
    for (const c of streams) await c.close();
    await s.close();
  });

  const workflowIn = async (client: CustomerProfilesClient) => {
    await client.send(new CreateDomainCommand({ DomainName: 'scoped', DefaultExpirationDays: 30 }));
    await putObjectType(client, 'scoped');
    return createWorkflow(client, { env: { domain: 'scoped', objectType: 'Contact', profile: 'scope-synthetic' } });
  };

  test("a key sees only its own account's events; asking for another account's is refused", async () => {
    const other = await sendSigned(await signRequest(s.url, 'GET', '/_profileflow/events', { accessKeyId: KEY_A, query: { accountId: ACCOUNT_B } }));
    assert.equal(other.status, 403, other.text);
    assert.equal(other.headers.get('x-amzn-errortype'), 'AccessDeniedException');
    const a = await openSigned(s, KEY_A, { accountId: ACCOUNT_A });
    const b = await openSigned(s, KEY_B, {});
    streams.push(a, b);
    const idA = await workflowIn(s.client({ accessKeyId: KEY_A }));
    const idB = await workflowIn(s.client({ accessKeyId: KEY_B }));
    await s.engine.runUntilIdle();

    await a.next((e) => e.event === 'workflow' && e.data.workflowId === idA && e.data.status === 'COMPLETE', "account A's workflow COMPLETE");
    await b.next((e) => e.event === 'workflow' && e.data.workflowId === idB && e.data.status === 'COMPLETE', "account B's workflow COMPLETE");
    assert.ok(a.events.every((e) => e.data.accountId === ACCOUNT_A), 'account A sees none of B');
    assert.ok(b.events.every((e) => e.data.accountId === ACCOUNT_B), 'account B sees none of A');
    assert.ok(!a.events.some((e) => e.data.workflowId === idB));
  });

  test(`one account holds at most ${MAX_STREAMS_PER_ACCOUNT} streams at once, so it cannot hold every connection; other accounts are not affected`, async () => {
    const held: SseClient[] = [];
    try {
      // The earlier tests' streams first give their places back (the service sees them close a moment later).
      for (const c of streams.splice(0)) await c.close();
      for (let i = 0; i < MAX_STREAMS_PER_ACCOUNT; i++) held.push(await eventually(() => openSigned(s, KEY_A, {}), `account A's stream ${i + 1}`));
      const refused = await sendSigned(await signRequest(s.url, 'GET', '/_profileflow/events', { accessKeyId: KEY_A }));
      assert.equal(refused.status, 429, refused.text);
      assert.equal(refused.headers.get('x-amzn-errortype'), 'ThrottlingException');
      assert.match(refused.text, new RegExp(`${ACCOUNT_A} already holds ${MAX_STREAMS_PER_ACCOUNT} event streams`));
      const other = await openSigned(s, KEY_B, {});
      await other.close();
      // A stream that ends gives its place back.
      await held.pop()!.close();
      held.push(await eventually(() => openSigned(s, KEY_A, {}), 'a stream for account A once one of its streams closed'));
    } finally {
      for (const c of held) await c.close();
    }
  });

  test('an unsigned stream is refused', async () => {
    const response = await fetch(`${s.url}/_profileflow/events`);
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    await response.body?.cancel();
  });
});
