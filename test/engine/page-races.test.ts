import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { CreateDomainCommand, DeleteDomainCommand, GetDomainCommand, GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import { ManualClock, systemClock } from '../../src/engine/clock.js';
import { KEY_INDEX_TABLES } from '../../src/store/dialects/row-writers/queries.js';
import { purgeDeletedDomains } from '../../src/store/purge-domain.js';
import { KyselyWorkflowRepository } from '../../src/store/repositories/workflows.js';
import { availableBackends } from '../helpers/backends.js';
import { until } from '../helpers/poll.js';
import { HOME } from '../helpers/profile-objects.js';
import { anotherNodeIngesting, lockWaiters, openObserver } from '../helpers/races.js';
import { startServer, TEST_ACCOUNT, type TestServer } from '../helpers/server.js';
import { createWorkflow, setupWorkflowEnv } from '../helpers/workflows.js';

// A page's transaction against the operations that delete its step, on PostgreSQL (SQLite has one
// writer at a time): the page locks its step row first, so the deletion waits for the page (or the page
// for the deletion), and neither ends in a deadlock. Before, a page held its object type from its first
// statement and its step row only at its checkpoint, and DeleteDomain, which deletes the steps first,
// answered 500 ("deadlock detected"), as did an account reset.

if ((await availableBackends()).includes('postgres')) {
  describe('a workflow page and the deletion of its step [postgres]', () => {
    let s: TestServer;
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    before(async () => {
      s = await startServer('postgres', { clock });
    });
    after(() => s.close());

    const domainIdOf = async (domainName: string) =>
      (await s.store.db.selectFrom('domain_ids').select('domain_id').where('account_id', '=', HOME.accountId).where('region', '=', HOME.region).where('domain_name', '=', domainName).executeTakeFirst())?.domain_id;

    /** The rows of the domain's profiles and objects. */
    async function rowsOf(domainName: string): Promise<Record<string, number>> {
      const count = async (table: 'profiles' | 'profile_objects') =>
        Number((await s.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', HOME.accountId).where('domain_name', '=', domainName).executeTakeFirstOrThrow()).n);
      return { profiles: await count('profiles'), profile_objects: await count('profile_objects') };
    }

    /**
     * Key index entries, in every table of the index, under an id no domain holds and no purge is still
     * to remove: what a deletion that missed the page's entries would leave. (The id a small domain had is
     * gone by the time DeleteDomain answers, since it purges such a domain before answering.)
     */
    async function orphanKeyEntries(): Promise<number> {
      let n = 0;
      for (const table of KEY_INDEX_TABLES) {
        n += Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} k where not exists (select 1 from domain_ids d where d.domain_id = k.domain_id)
          and not exists (select 1 from domain_purges p where p.domain_id = k.domain_id)`.execute(s.store.db)).rows[0].n);
      }
      return n;
    }

    /** Runs one page of the domain's workflow, held open just before its checkpoint while `second` starts and waits. */
    async function whileAPageIsOpen(domain: string, second: () => Promise<unknown>): Promise<{ page: unknown; second: unknown }> {
      const env = await setupWorkflowEnv(s, domain);
      await createWorkflow(s.client, { env });
      const checkpoint = KyselyWorkflowRepository.prototype.checkpointPage;
      let reached!: () => void;
      const atCheckpoint = new Promise<void>((resolve) => (reached = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      KyselyWorkflowRepository.prototype.checkpointPage = async function (this: KyselyWorkflowRepository, ...args) {
        KyselyWorkflowRepository.prototype.checkpointPage = checkpoint;
        reached();
        await released;
        return checkpoint.apply(this, args);
      };
      try {
        const page = s.engine.advance({ pages: 1 }).then((r) => r, (err: Error) => err);
        await atCheckpoint;
        const done = second().then((r) => r, (err: Error) => err);
        await until(async () => {
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid()`.execute(s.store.db);
          return rows[0].n > 0;
        }, 'the deletion waiting for the page');
        release();
        return { page: await page, second: await done };
      } finally {
        release();
        KyselyWorkflowRepository.prototype.checkpointPage = checkpoint;
      }
    }

    test('DeleteDomain waits for the page, then deletes the domain with everything the page wrote', async () => {
      const { page, second } = await whileAPageIsOpen('page-vs-deletedomain', () => s.client.send(new DeleteDomainCommand({ DomainName: 'page-vs-deletedomain' })));
      assert.ok(!(page instanceof Error), String(page));
      assert.ok(!(second instanceof Error), String(second));
      await assert.rejects(s.client.send(new GetDomainCommand({ DomainName: 'page-vs-deletedomain' })), { name: 'ResourceNotFoundException' });
      // What DeleteDomain leaves to the engine's reaper, if anything, removed as the engine would.
      assert.equal(await purgeDeletedDomains(s.store), 'done');
      assert.deepEqual(await rowsOf('page-vs-deletedomain'), { profiles: 0, profile_objects: 0 });
      assert.equal(await orphanKeyEntries(), 0, 'no key entry of the page is left under the id the domain had');
    });

    test('an account reset waits for the page, then empties the account', async () => {
      const { page, second } = await whileAPageIsOpen('page-vs-reset', () => s.store.reset(TEST_ACCOUNT));
      assert.ok(!(page instanceof Error), String(page));
      assert.ok(!(second instanceof Error), String(second));
      const left = await s.store.db.selectFrom('workflow_steps').select('step_no').execute();
      assert.deepEqual(left, []);
      assert.deepEqual(await rowsOf('page-vs-reset'), { profiles: 0, profile_objects: 0 });
      // The domain's id went with the account, and so did every key entry: none is left under an id no
      // domain (nor a purge) holds any more.
      assert.equal(await domainIdOf('page-vs-reset'), undefined);
      assert.equal(await orphanKeyEntries(), 0);
    });
  });
}

// Pages of workflows into one domain, queued behind another node's ingestion into it (serializeIngestion),
// on PostgreSQL: they wait for their turn in the process before taking a pooled connection. Queued at the
// lock instead, the engine's four slots held every connection of the testing toolkit's pool of four, and
// requests for other domains failed once they had waited 5 s for one.
if ((await availableBackends()).includes('postgres')) {
  describe('workflow pages queued behind a busy domain [postgres]', () => {
    let s: TestServer;
    before(async () => {
      s = await startServer('postgres', { clock: systemClock, engine: { mode: 'auto', pollIntervalMs: 20, concurrency: 4 } });
    });
    after(() => s.close());

    test('leave the pool to requests for other domains, then all complete', async () => {
      const domain = 'pages-in-line';
      const env = await setupWorkflowEnv(s, domain);
      await s.client.send(new CreateDomainCommand({ DomainName: 'pages-other', DefaultExpirationDays: 30 }));
      // Another node's ingestion, holding the domain's ingestion lock.
      const node = anotherNodeIngesting(s.store, HOME, domain);
      const ids: string[] = [];
      let otherReply: string | undefined;
      const observer = await openObserver(s.store);
      try {
        await node.held;
        for (let i = 0; i < 4; i++) ids.push(await createWorkflow(s.client, { env, FlowName: `in-line-${i}` }));
        await until(async () => (await lockWaiters(observer)) + s.store.waitingForTurn >= 3, 'the pages queued behind the lock');
        s.client.send(new GetDomainCommand({ DomainName: 'pages-other' })).then(
          () => (otherReply = 'answered'),
          (err: Error) => (otherReply = `${err.name}: ${err.message}`),
        );
        await until(() => otherReply !== undefined, 'GetDomain of another domain', { deadlineMs: 10_000 }).catch(() => undefined);
        assert.equal(otherReply, 'answered', 'another domain is answered while the pages wait');
      } finally {
        await node.release();
        await observer.close();
      }
      for (const WorkflowId of ids) {
        await until(async () => (await s.client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId }))).Status === 'COMPLETE', `workflow ${WorkflowId} complete`);
      }
    });

    // The engine renews a unit's lease every third of it. A renewal waits for the unit's row, which the
    // page holds while it waits at the domain's lock; one started at every tick held one more pooled
    // connection each until the page committed.
    test('a page waiting behind a busy domain keeps one lease renewal waiting, not one per heartbeat', async (t) => {
      const domain = 'renewals-in-line';
      const env = await setupWorkflowEnv(s, domain);
      const observer = await openObserver(s.store);
      const renew = KyselyWorkflowRepository.prototype.renewLease;
      let renewals = 0;
      KyselyWorkflowRepository.prototype.renewLease = function (this: KyselyWorkflowRepository, ...args) {
        renewals++;
        return renew.apply(this, args);
      };
      t.mock.timers.enable({ apis: ['setInterval'] });
      // Another node's ingestion, holding the domain's ingestion lock.
      const node = anotherNodeIngesting(s.store, HOME, domain);
      try {
        await node.held;
        const WorkflowId = await createWorkflow(s.client, { env });
        await until(async () => (await lockWaiters(observer)) >= 1, 'the page waiting at the lock');
        // Three heartbeats of the default 30 s lease.
        for (let i = 0; i < 3; i++) t.mock.timers.tick(10_000);
        await until(async () => (await lockWaiters(observer)) >= 2, 'a renewal waiting for the page’s row');
        assert.equal(renewals, 1, 'one renewal while the first waits');
        await node.release();
        await until(async () => (await s.client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId }))).Status === 'COMPLETE', 'the workflow complete');
      } finally {
        await node.release();
        KyselyWorkflowRepository.prototype.renewLease = renew;
        await observer.close();
      }
    });
  });
}
