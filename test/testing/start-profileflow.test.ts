/**
 * The testing toolkit as a user's test suite meets it: imported by its package name
 * (`profileflow/testing`, through package.json `exports`, so the built dist/ and its declarations are
 * what is exercised), driven with the official SDK. A workflow over the synthetic source completes under
 * the manual engine; a reset of one account leaves another's data; a fault rule makes a call fail; the
 * manual clock moves; stop() removes the temporary folder.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  CreateIntegrationWorkflowCommand,
  CustomerProfilesClient,
  GetWorkflowCommand,
  ListDomainsCommand,
} from '@aws-sdk/client-customer-profiles';
import { type Profileflow, startProfileflow } from 'profileflow/testing';
import pg from 'pg';
import { availableBackends, POSTGRES_URL } from '../helpers/backends.js';
import { putObjectType, workflowRequest } from '../helpers/workflows.js';

describe('startProfileflow (in process, manual engine, manual clock)', () => {
  let pf: Profileflow;
  let client: CustomerProfilesClient;

  before(async () => {
    pf = await startProfileflow({
      clock: 'manual',
      startTime: '2026-03-01T00:00:00Z',
      connectorProfiles: { contacts: { kind: 'synthetic', settings: { recordsPerDay: 24, seed: 3 } } },
    });
    client = new CustomerProfilesClient(pf.clientConfig);
  });
  after(async () => {
    client?.destroy();
    await pf?.stop();
  });

  test('a workflow over the synthetic source completes once the engine is advanced', async () => {
    assert.match(pf.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    await client.send(new CreateDomainCommand({ DomainName: 'shop', DefaultExpirationDays: 30 }));
    await putObjectType(client, 'shop');
    const { WorkflowId } = await client.send(
      new CreateIntegrationWorkflowCommand(workflowRequest({ env: { domain: 'shop', objectType: 'Contact', profile: 'contacts' } })),
    );
    assert.ok(WorkflowId);
    // Manual engine: nothing has run yet.
    const before = await client.send(new GetWorkflowCommand({ DomainName: 'shop', WorkflowId }));
    assert.equal(before.Status, 'NOT_STARTED');

    await pf.engine.untilIdle();
    const done = await pf.waitForWorkflow('shop', WorkflowId, 'COMPLETE', { timeoutMs: 10_000 });
    assert.equal(done.Metrics?.AppflowIntegration?.RecordsProcessed, 24);
    const seen = await client.send(new GetWorkflowCommand({ DomainName: 'shop', WorkflowId }));
    assert.equal(seen.Status, 'COMPLETE');
  });

  test('waitForWorkflow advances a manual engine itself, and names the final status it met', async () => {
    const { WorkflowId } = await client.send(
      new CreateIntegrationWorkflowCommand(
        workflowRequest({ env: { domain: 'shop', objectType: 'Contact', profile: 'contacts' }, FlowName: 'second-flow' }),
      ),
    );
    const done = await pf.waitForWorkflow('shop', WorkflowId!, 'COMPLETE', { timeoutMs: 10_000 });
    assert.equal(done.Status, 'COMPLETE');
    await assert.rejects(pf.waitForWorkflow('shop', WorkflowId!, 'FAILED', { timeoutMs: 1000 }), /ended COMPLETE while waiting for FAILED/);
  });

  test('reset(accountId) empties one account and leaves another', async () => {
    const a = new CustomerProfilesClient(pf.clientConfigFor({ accountId: '111111111111' }));
    const b = new CustomerProfilesClient(pf.clientConfigFor({ accountId: '222222222222' }));
    try {
      await a.send(new CreateDomainCommand({ DomainName: 'mine', DefaultExpirationDays: 30 }));
      await b.send(new CreateDomainCommand({ DomainName: 'mine', DefaultExpirationDays: 30 }));
      await pf.reset('111111111111');
      assert.deepEqual((await a.send(new ListDomainsCommand({}))).Items ?? [], []);
      assert.deepEqual((await b.send(new ListDomainsCommand({}))).Items?.map((d) => d.DomainName), ['mine']);
      // The instance's own account is untouched too.
      assert.ok((await client.send(new ListDomainsCommand({}))).Items?.some((d) => d.DomainName === 'shop'));
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  test('faults.set makes a call fail the AWS way, and clear() heals it', async () => {
    pf.faults.set([{ operation: 'ListDomains', error: 'ThrottlingException' }]);
    await assert.rejects(client.send(new ListDomainsCommand({})), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(err.name, 'ThrottlingException');
      assert.equal(err.$metadata?.httpStatusCode, 429);
      return true;
    });
    pf.faults.clear();
    await client.send(new ListDomainsCommand({}));
  });

  test('clock.advance and clock.set move the service clock, and the service sees it', async () => {
    assert.equal(pf.clock.now(), Date.parse('2026-03-01T00:00:00Z'), 'startTime, untouched by running steps');
    const start = pf.clock.now();
    pf.clock.advance(90_000);
    assert.equal(pf.clock.now(), start + 90_000);
    pf.clock.set('2027-01-01T00:00:00Z');
    await client.send(new CreateDomainCommand({ DomainName: 'later', DefaultExpirationDays: 30 }));
    const res = await fetch(`${pf.endpoint}/_profileflow/engine`);
    assert.equal(((await res.json()) as { now: string }).now, '2027-01-01T00:00:00.000Z');
  });

  test('clock.advance and clock.set refuse a time outside the range the service can show, naming it, and leave the clock where it was', async () => {
    const before = pf.clock.now();
    assert.throws(() => pf.clock.advance(1e308), /would move the clock to a time outside 1970-01-01T00:00:00\.000Z to 9999-12-31T23:59:59\.999Z/);
    assert.throws(() => pf.clock.set('+275760-09-13T00:00:00.000Z'), /outside 1970-01-01T00:00:00\.000Z to 9999-12-31T23:59:59\.999Z/);
    assert.throws(() => pf.clock.set(-1), /outside 1970/);
    assert.equal(pf.clock.now(), before);
    const res = await fetch(`${pf.endpoint}/_profileflow/engine`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { now: string }).now, new Date(before).toISOString());
  });

  test('a full reset declares the connector profiles again', async () => {
    await pf.reset();
    assert.deepEqual((await client.send(new ListDomainsCommand({}))).Items ?? [], []);
    const res = await fetch(`${pf.endpoint}/_profileflow/connector-profiles/contacts`);
    assert.equal(res.status, 200);
  });
});

describe('startProfileflow lifecycle', () => {
  test('stop() removes the temporary SQLite folder and the port stops answering', async () => {
    const pf = await startProfileflow();
    assert.ok(pf.dataDir?.startsWith(join(tmpdir(), 'profileflow-test-')), pf.dataDir);
    assert.ok(existsSync(join(pf.dataDir!, 'profileflow.db')));
    assert.equal((await fetch(`${pf.endpoint}/_profileflow/health`)).status, 200);
    await pf.stop();
    assert.equal(existsSync(pf.dataDir!), false);
    await assert.rejects(fetch(`${pf.endpoint}/_profileflow/health`));
    await pf.stop(); // twice is harmless
  });

  test('the system clock refuses to be moved, naming the option that allows it', async () => {
    const pf = await startProfileflow();
    try {
      assert.throws(() => pf.clock.advance(1000), /start with \{ clock: 'manual' \}/);
    } finally {
      await pf.stop();
    }
  });

  test('a start time outside the range the clock can show is refused, naming it', async () => {
    // Stopped if it starts after all, so the failure is an assertion rather than a process left running.
    const started = startProfileflow({ clock: 'manual', startTime: '+100000-01-01T00:00:00Z' }).then((pf) => pf.stop());
    await assert.rejects(started, /The start time \+100000-01-01T00:00:00\.000Z is outside 1970-01-01T00:00:00\.000Z to 9999-12-31T23:59:59\.999Z/);
  });

  test('a connector profile outside the policy is refused, naming it', async () => {
    await assert.rejects(
      startProfileflow({ connectorProfiles: { local: { kind: 'files', settings: { path: '/etc' } } } }),
      /Connector profile 'local'/,
    );
  });
});

describe('startProfileflow in auto mode', () => {
  test('connectorProfiles.put, seeded ids repeating after a reset, and waitForWorkflow polling while the engine runs by itself', async () => {
    const pf = await startProfileflow({ engineMode: 'auto', engine: { pollIntervalMs: 20 } });
    const client = new CustomerProfilesClient(pf.clientConfig);
    try {
      await pf.connectorProfiles.put('auto-contacts', { kind: 'synthetic', settings: { recordsPerDay: 24, seed: 5 } });
      const run = async () => {
        pf.seedIds('toolkit-run');
        await client.send(new CreateDomainCommand({ DomainName: 'auto', DefaultExpirationDays: 30 }));
        await putObjectType(client, 'auto');
        const { WorkflowId } = await client.send(
          new CreateIntegrationWorkflowCommand(workflowRequest({ env: { domain: 'auto', objectType: 'Contact', profile: 'auto-contacts' } })),
        );
        const done = await pf.waitForWorkflow('auto', WorkflowId!, 'COMPLETE', { timeoutMs: 15_000 });
        assert.equal(done.Metrics?.AppflowIntegration?.RecordsProcessed, 24);
        return WorkflowId;
      };
      const first = await run();
      await pf.reset();
      // A full reset empties connector profiles put at runtime (only declared ones come back).
      await pf.connectorProfiles.put('auto-contacts', { kind: 'synthetic', settings: { recordsPerDay: 24, seed: 5 } });
      assert.equal(await run(), first, 'the same seed gives the same WorkflowId');
    } finally {
      pf.seedIds(null);
      client.destroy();
      await pf.stop();
    }
  });
});

describe('startProfileflow on PostgreSQL', async () => {
  const postgres = (await availableBackends()).includes('postgres');
  test('a fresh schema of its own, dropped by stop()', { skip: !postgres && 'PostgreSQL does not answer' }, async () => {
    const pf = await startProfileflow({ backend: 'postgres', databaseUrl: POSTGRES_URL });
    const client = new CustomerProfilesClient(pf.clientConfig);
    const schemas = async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      try {
        const r = await c.query<{ nspname: string }>(`select nspname from pg_namespace where nspname like 'pf_testing_${process.pid}_%'`);
        return r.rows.map((row) => row.nspname);
      } finally {
        await c.end();
      }
    };
    try {
      await client.send(new CreateDomainCommand({ DomainName: 'pg-shop', DefaultExpirationDays: 30 }));
      assert.deepEqual((await client.send(new ListDomainsCommand({}))).Items?.map((d) => d.DomainName), ['pg-shop']);
      assert.deepEqual(await schemas(), [pf.schema]);
    } finally {
      client.destroy();
      await pf.stop();
    }
    assert.deepEqual(await schemas(), []);
  });
});
