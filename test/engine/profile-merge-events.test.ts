/**
 * What a MergeProfiles tells the world: a `profileMerge` event on the event stream (only in its own
 * account's stream) and a PROFILES_MERGED webhook to the receivers that asked for it, once each, also
 * when the dispatcher that queues it was started after the merge (the sweep's watermark is durable).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CreateDomainCommand, CreateProfileCommand, CustomerProfilesClient, MergeProfilesCommand } from '@aws-sdk/client-customer-profiles';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { WebhookDispatcher, type WebhookConfig } from '../../src/engine/webhooks.js';
import { buildApp } from '../../src/server/app.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';
import { eventually } from '../helpers/poll.js';
import { SseClient } from '../helpers/sse.js';
import { ACCOUNT_A, ACCOUNT_B, ALL_CREDENTIALS, CREDENTIALS, KEY_A, KEY_B, signRequest } from '../security/support.js';

/** A loopback receiver that records every POST. */
async function receiver(): Promise<{ url: string; got: { path: string; body: Record<string, unknown> }[]; close(): Promise<void> }> {
  const got: { path: string; body: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d) => (body += d));
    req.on('end', () => {
      got.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, got, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

for (const backend of await availableBackends()) {
  describe(`profile merges on the event stream and by webhook [${backend}]`, () => {
    let store: TestStore;
    let app: FastifyInstance;
    let url: string;
    let r: Awaited<ReturnType<typeof receiver>>;
    let dispatcher: WebhookDispatcher;
    const clients: CustomerProfilesClient[] = [];
    const streams: SseClient[] = [];
    const hooks = (): WebhookConfig[] => [
      { url: `${r.url}/merges`, events: ['PROFILES_MERGED'], secret: 'k' },
      { url: `${r.url}/workflows`, events: ['COMPLETE', 'FAILED', 'CANCELLED'], secret: 'k' },
    ];

    before(async () => {
      r = await receiver();
      store = await createTestStore(backend);
      const engine = new Engine(store.store, systemClock, { mode: 'manual' });
      dispatcher = new WebhookDispatcher(store.store, systemClock, hooks(), { intervalMs: 25 });
      app = await buildApp({
        store: store.store,
        engine,
        auth: { mode: 'sigv4', credentials: ALL_CREDENTIALS },
        operator: { webhooks: dispatcher, eventsIntervalMs: 25 },
      });
      url = await app.listen({ host: '127.0.0.1', port: 0 });
      dispatcher.start();
    });
    after(async () => {
      for (const c of streams) await c.close();
      for (const c of clients) c.destroy();
      await dispatcher.stop();
      await app.close();
      await store.dispose();
      await r.close();
    });

    const clientOf = (accessKeyId: string) => {
      const c = new CustomerProfilesClient({
        endpoint: url,
        region: 'us-east-1',
        maxAttempts: 1,
        credentials: { accessKeyId, secretAccessKey: CREDENTIALS.get(accessKeyId)?.secretAccessKey ?? '' },
      });
      clients.push(c);
      return c;
    };
    /** The stream as `accessKeyId`'s account sees it (a signed request, as a tenant's tools send it). */
    const stream = async (accessKeyId: string, query: Record<string, string> = {}) => {
      const signed = await signRequest(url, 'GET', '/_profileflow/events', { accessKeyId, query });
      const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== 'host'));
      const c = await SseClient.open(`${url}/_profileflow/events?${new URLSearchParams(query).toString()}`, headers);
      streams.push(c);
      return c;
    };
    /** A domain with three profiles; merges the last two into the first through the official SDK. */
    const merge = async (client: CustomerProfilesClient, domain: string) => {
      await client.send(new CreateDomainCommand({ DomainName: domain, DefaultExpirationDays: 30 })).catch((err: Error) => {
        if (err.name !== 'BadRequestException') throw err;
      });
      const ids: string[] = [];
      for (const name of ['Ann', 'Bea', 'Cy']) ids.push((await client.send(new CreateProfileCommand({ DomainName: domain, FirstName: name }))).ProfileId!);
      const [main, ...merged] = ids;
      await client.send(new MergeProfilesCommand({ DomainName: domain, MainProfileId: main, ProfileIdsToBeMerged: merged }));
      return { main, merged };
    };
    const mergesPosted = (main: string) => r.got.filter((g) => g.body.MainProfileId === main);

    test("a merge is a profileMerge event in its account's stream only, filtered by domain", async () => {
      const a = await stream(KEY_A, { domain: 'merge-ev' });
      const b = await stream(KEY_B);
      const { main, merged } = await merge(clientOf(KEY_A), 'merge-ev');
      const { main: mainB } = await merge(clientOf(KEY_B), 'merge-ev');

      const event = await a.next((e) => e.event === 'profileMerge' && e.data.mainProfileId === main, 'the profileMerge event');
      assert.equal(event.data.mergedAt, event.data.updatedAt);
      assert.match(event.data.mergeId, /^[0-9a-f]{32}$/);
      assert.deepEqual(
        { ...event.data, mergeId: undefined, mergedAt: undefined, updatedAt: undefined },
        { accountId: ACCOUNT_A, region: 'us-east-1', domainName: 'merge-ev', mainProfileId: main, mergedProfileIds: merged, mergeId: undefined, mergedAt: undefined, updatedAt: undefined },
      );
      assert.ok(Date.now() - Date.parse(event.data.mergedAt) < 60_000);
      await b.next((e) => e.event === 'profileMerge' && e.data.mainProfileId === mainB, "account B's merge in B's stream");
      // Then a merge in another of A's domains and one more in merge-ev: A's stream is in order, so once it
      // has the last, whatever of B's or of the other domain could have reached it has.
      const { main: elsewhere } = await merge(clientOf(KEY_A), 'merge-elsewhere');
      const { main: last } = await merge(clientOf(KEY_A), 'merge-ev');
      await a.next((e) => e.event === 'profileMerge' && e.data.mainProfileId === last, 'the last merge');
      assert.ok(!a.events.some((e) => e.data.mainProfileId === elsewhere), 'the domain filter holds back the other domain');
      assert.ok(b.events.every((e) => e.data.accountId === ACCOUNT_B), 'account B sees none of A');
      assert.ok(!b.events.some((e) => e.data.mainProfileId === main));
      assert.ok(a.events.every((e) => e.data.accountId === ACCOUNT_A), 'account A sees none of B');
      assert.ok(!a.events.some((e) => e.data.mainProfileId === mainB));
    });

    test('a merge is POSTed once as PROFILES_MERGED to the receiver that asked, also by a dispatcher started after it', async () => {
      const { main, merged } = await merge(clientOf(KEY_A), 'merge-hook');
      const [posted] = await eventually(async () => (mergesPosted(main).length > 0 ? mergesPosted(main) : undefined), 'the PROFILES_MERGED delivery');
      assert.equal(posted.path, '/merges');
      assert.deepEqual(
        { ...posted.body, DeliveryId: undefined, MergeId: undefined, MergedAt: undefined },
        {
          Event: 'PROFILES_MERGED',
          AccountId: ACCOUNT_A,
          Region: 'us-east-1',
          DomainName: 'merge-hook',
          MainProfileId: main,
          ProfileIdsToBeMerged: merged,
          DeliveryId: undefined,
          MergeId: undefined,
          MergedAt: undefined,
        },
      );

      // A merge while no dispatcher runs: the next one, started on the same database, sends it.
      await dispatcher.stop();
      const second = await merge(clientOf(KEY_A), 'merge-hook');
      dispatcher = new WebhookDispatcher(store.store, systemClock, hooks(), { intervalMs: 25 });
      dispatcher.start();
      await eventually(async () => (mergesPosted(second.main).length > 0 ? true : undefined), 'the merge made while stopped');
      // Both sweeps re-read the first merge (their overlap window); its delivery id queued it once.
      const third = await merge(clientOf(KEY_A), 'merge-hook');
      await eventually(async () => (mergesPosted(third.main).length > 0 ? true : undefined), 'a later merge');
      for (const m of [main, second.main, third.main]) assert.equal(mergesPosted(m).length, 1, `merge into ${m} POSTed once`);
      assert.ok(r.got.every((g) => g.path === '/merges'), 'the receiver of workflow statuses is sent no merge');
    });
  });
}
