import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  CreateDomainCommand,
  CreateProfileCommand,
  GetDomainCommand,
  GetWorkflowCommand,
  ListDomainsCommand,
  ListTagsForResourceCommand,
  PutProfileObjectCommand,
  SearchProfilesCommand,
  TagResourceCommand,
} from '@aws-sdk/client-customer-profiles';
import { profileIdPool, seedIds } from '../../src/domain/ids.js';
import { ManualClock } from '../../src/engine/clock.js';
import { KEY_INDEX_TABLES } from '../../src/store/dialects/row-writers/queries.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { raw } from '../helpers/profile-objects.js';
import { appflowClient } from '../helpers/appflow.js';
import {
  DescribeFlowCommand,
  ListFlowsCommand,
  ListTagsForResourceCommand as AppflowListTagsForResourceCommand,
  TagResourceCommand as AppflowTagResourceCommand,
} from '@aws-sdk/client-appflow';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';
import { consecutiveBatches, createWorkflow, setupWorkflowEnv } from '../helpers/workflows.js';

describe('seeded ids', () => {
  after(() => seedIds(undefined));
  test('a seed makes profile ids a repeatable sequence of 32 lowercase hex; no seed is random', () => {
    seedIds('abc');
    const a = profileIdPool(3);
    const first = [a(), a(), a()];
    seedIds('abc');
    const b = profileIdPool(3);
    assert.deepEqual([b(), b(), b()], first);
    for (const id of first) assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(new Set(first).size, 3);
    seedIds(undefined);
    const c = profileIdPool(2);
    const random = [c(), c()];
    assert.notDeepEqual(random, first.slice(0, 2));
    for (const id of random) assert.match(id, /^[0-9a-f]{32}$/);
  });
});

for (const backend of await availableBackends()) {
  describe(`testing controls [${backend}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let s: TestServer;
    before(async () => {
      s = await startServer(backend, { clock, engine: { pageSize: 12 } });
    });
    after(async () => {
      seedIds(undefined);
      await s.close();
    });

    test('reset empties every table, keeps the page-token secret, and answers the tables it emptied', async () => {
      const env = await setupWorkflowEnv(s, 'reset-a');
      await s.client.send(new CreateDomainCommand({ DomainName: 'reset-b', DefaultExpirationDays: 1 }));
      await createWorkflow(s.client, { env });
      await s.engine.runUntilIdle();
      const page = await s.client.send(new ListDomainsCommand({ MaxResults: 1 }));
      assert.ok(page.NextToken);
      const rowsIn = async (table: string) => Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(s.store.db)).rows[0].n);
      let keyEntries = 0;
      for (const table of KEY_INDEX_TABLES) keyEntries += await rowsIn(table);
      assert.ok(keyEntries > 0, 'the workflow wrote key index entries');

      const out = await raw(s, 'POST', '/_profileflow/reset');
      assert.equal(out.status, 200);
      assert.equal(out.json.reset, true);
      const tables = out.json.tables as string[];
      for (const t of ['workflows', 'workflow_steps', 'domains', 'domain_ids', 'profile_objects', 'profiles', 'connector_profiles', 'webhook_deliveries', 'flow_runs', 'client_tokens', ...KEY_INDEX_TABLES]) {
        assert.ok(tables.includes(t), `${t} is emptied`);
      }
      for (const t of tables) {
        if (t === 'settings') assert.deepEqual((await s.store.db.selectFrom('settings').select('key').execute()).map((r) => r.key), ['page_token_secret']);
        else assert.equal(await rowsIn(t), 0, `${t} holds no row`);
      }
      assert.ok(!tables.some((t) => t.startsWith('kysely_migration')), 'migrations are kept');
      assert.deepEqual((await s.client.send(new ListDomainsCommand({}))).Items ?? [], []);
      // A token issued before the reset still verifies (the secret stayed), and finds nothing after.
      const next = await s.client.send(new ListDomainsCommand({ MaxResults: 1, NextToken: page.NextToken }));
      assert.deepEqual(next.Items ?? [], []);
      assert.equal((await raw(s, 'GET', '/_profileflow/connector-profiles')).json.connectorProfiles?.toString(), '');
    });

    test('a step that held its lease across the reset writes nothing afterwards', async () => {
      const env = await setupWorkflowEnv(s, 'reset-running');
      const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 2) });
      const claimed = await s.store.workflows.claim({ owner: 'someone-else', now: clock.now(), leaseMs: 60_000 });
      assert.equal(claimed?.step.workflowId, id);
      assert.equal((await raw(s, 'POST', '/_profileflow/reset')).status, 200);
      const key = { workflowId: id, stepNo: 1 };
      assert.equal(
        await s.store.workflows.checkpointPage({ owner: 'someone-else', key, now: clock.now(), leaseMs: 60_000, cursor: 'c1', records: 12, dropped: 0, message: 'page' }),
        false,
      );
      assert.deepEqual(await s.store.workflows.completeStep({ owner: 'someone-else', key, now: clock.now(), message: 'done' }), { owned: false, workflowComplete: false });
      assert.equal(await s.store.workflows.isCancelled(id), true, 'a workflow removed by the reset reads as gone');
      await expectAwsError(s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id })), 'ResourceNotFoundException', 404);
    });

    test('a seed makes workflow ids repeat after a reset; null goes back to random ids', async () => {
      const run = async () => {
        assert.equal((await raw(s, 'POST', '/_profileflow/reset')).status, 200);
        const seeded = await raw(s, 'POST', '/_profileflow/ids', { seed: 'run-1' });
        assert.deepEqual(seeded.json, { seed: 'run-1' });
        const env = await setupWorkflowEnv(s, 'ids', { profile: 'ids-profile' });
        return [await createWorkflow(s.client, { env }), await createWorkflow(s.client, { env })];
      };
      const first = await run();
      const second = await run();
      assert.deepEqual(second, first);
      for (const id of first) assert.match(id, /^[a-f0-9]{32}$/);
      assert.notEqual(first[0], first[1]);
      assert.deepEqual((await raw(s, 'GET', '/_profileflow/ids')).json, { seed: 'run-1' });

      // Profile ids too, whether CreateProfile or an ingested object makes the profile.
      const profiles = async () => {
        assert.equal((await raw(s, 'POST', '/_profileflow/reset')).status, 200);
        await raw(s, 'POST', '/_profileflow/ids', { seed: 'run-2' });
        const env = await setupWorkflowEnv(s, 'ids-profiles', { profile: 'ids-profiles-profile' });
        const created = (await s.client.send(new CreateProfileCommand({ DomainName: env.domain, FirstName: 'Ada' }))).ProfileId;
        await s.client.send(
          new PutProfileObjectCommand({ DomainName: env.domain, ObjectTypeName: env.objectType, Object: JSON.stringify({ Id: 'c-1', Email: 'c1@example.com' }) }),
        );
        const found = await s.client.send(new SearchProfilesCommand({ DomainName: env.domain, KeyName: '_email', Values: ['c1@example.com'] }));
        return [created, found.Items?.[0]?.ProfileId];
      };
      const p1 = await profiles();
      const p2 = await profiles();
      assert.deepEqual(p2, p1);
      for (const id of p1) assert.match(id ?? '', /^[a-f0-9]{32}$/);
      assert.notEqual(p1[0], p1[1]);
      assert.deepEqual((await raw(s, 'POST', '/_profileflow/ids', { seed: null })).json, { seed: null });
      const bad = await raw(s, 'POST', '/_profileflow/ids', { seed: { nested: true } });
      assert.equal(bad.status, 400);
      assert.equal(bad.errorType, 'BadRequestException');
    });

    test('fault rules: a modelled error by operation, a custom error, and the rest untouched', async () => {
      await s.client.send(new CreateDomainCommand({ DomainName: 'faulty', DefaultExpirationDays: 1 }));
      const put = await raw(s, 'PUT', '/_profileflow/faults', [
        { operation: 'ListDomains', error: 'ThrottlingException' },
        { operation: 'GetDomain', probability: 1, error: { status: 503, code: 'ServiceUnavailableException', message: 'Try later.' } },
      ]);
      assert.equal(put.status, 200, JSON.stringify(put.json));
      assert.equal((put.json.rules as unknown[]).length, 2);
      await expectAwsError(s.client.send(new ListDomainsCommand({})), 'ThrottlingException', 429, 'Injected fault for ListDomains.');
      const custom = await raw(s, 'GET', '/domains/faulty');
      assert.equal(custom.status, 503);
      assert.equal(custom.errorType, 'ServiceUnavailableException');
      assert.deepEqual(custom.json, { Message: 'Try later.' });
      // Admin routes are not AWS operations: never faulted.
      assert.equal((await raw(s, 'GET', '/_profileflow/faults')).status, 200);

      assert.deepEqual((await raw(s, 'DELETE', '/_profileflow/faults')).json, { rules: [] });
      assert.equal((await s.client.send(new GetDomainCommand({ DomainName: 'faulty' }))).DomainName, 'faulty');
    });

    test('fault rules name an AppFlow operation with its service, and a rule for the Customer Profiles operation of the same name leaves AppFlow alone', async () => {
      const af = appflowClient(s.url);
      const put = await raw(s, 'PUT', '/_profileflow/faults', [
        { operation: 'appflow:ListFlows', error: 'ThrottlingException' },
        { operation: 'ListTagsForResource', error: 'InternalServerException' },
        { operation: 'appflow:TagResource', error: 'AccessDeniedException' },
      ]);
      assert.equal(put.status, 200, JSON.stringify(put.json));
      await expectAwsError(af.send(new ListFlowsCommand({})), 'ThrottlingException', 429, 'Injected fault for appflow:ListFlows.');
      const appflowArn = `arn:aws:appflow:${TEST_REGION}:${TEST_ACCOUNT}:flow/none`;
      const profileArn = `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:domains/none`;
      // Each rule reaches its own service's operation only: AppFlow's ListTagsForResource and Customer
      // Profiles' TagResource reach their handlers (no such resource), while the rules fire on their twins.
      await expectAwsError(s.client.send(new ListTagsForResourceCommand({ resourceArn: profileArn })), 'InternalServerException', 500, 'Injected fault for ListTagsForResource.');
      await expectAwsError(af.send(new AppflowListTagsForResourceCommand({ resourceArn: appflowArn })), 'ResourceNotFoundException', 404);
      await expectAwsError(af.send(new AppflowTagResourceCommand({ resourceArn: appflowArn, tags: { a: 'b' } })), 'AccessDeniedException', 403, 'Injected fault for appflow:TagResource.');
      await expectAwsError(s.client.send(new TagResourceCommand({ resourceArn: profileArn, tags: { a: 'b' } })), 'ResourceNotFoundException', 404);
      // '*' reaches AppFlow's operations too.
      await raw(s, 'PUT', '/_profileflow/faults', [{ operation: '*', error: 'ThrottlingException' }]);
      await expectAwsError(af.send(new DescribeFlowCommand({ flowName: 'none' })), 'ThrottlingException', 429, 'Injected fault for appflow:DescribeFlow.');
      const bad = await raw(s, 'PUT', '/_profileflow/faults', [{ operation: 'appflow:GetWorkflow', error: 'ThrottlingException' }, { operation: 'CreateFlow', error: 'ThrottlingException' }]);
      assert.equal(bad.status, 400);
      assert.match(String(bad.json.Message), /^2 validation errors detected: rules\[0\]\.operation 'appflow:GetWorkflow' is neither '\*', a Customer Profiles operation name \(e\.g\. GetWorkflow\) nor an AppFlow one after 'appflow:' \(e\.g\. appflow:StartFlow\)\. rules\[1\]\.operation 'CreateFlow'/);
      await raw(s, 'DELETE', '/_profileflow/faults');
      assert.deepEqual((await af.send(new ListFlowsCommand({}))).flows ?? [], []);
    });

    test('with a seed, a probability rule fails the same calls on every run', async () => {
      await raw(s, 'POST', '/_profileflow/ids', { seed: 'chaos' });
      const pattern = async () => {
        await raw(s, 'PUT', '/_profileflow/faults', { rules: [{ operation: '*', probability: 0.5, error: 'InternalServerException' }] });
        const outcomes: number[] = [];
        for (let i = 0; i < 24; i++) outcomes.push((await raw(s, 'GET', '/domains')).status);
        return outcomes;
      };
      const a = await pattern();
      const b = await pattern();
      assert.deepEqual(b, a);
      assert.ok(a.includes(500) && a.includes(200), `both outcomes occur: ${a.join(',')}`);
      await raw(s, 'DELETE', '/_profileflow/faults');
      await raw(s, 'POST', '/_profileflow/ids', { seed: null });
    });

    test('latency rules delay and are counted; invalid rules are refused with every problem named', async () => {
      await raw(s, 'PUT', '/_profileflow/faults', [{ operation: 'ListDomains', latencyMs: 5 }]);
      assert.equal((await raw(s, 'GET', '/domains')).status, 200);
      const metrics = await (await fetch(`${s.url}/_profileflow/metrics`)).text();
      assert.match(metrics, /^profileflow_faults_injected_total\{operation="ListDomains",effect="latency"\} [1-9]/m);
      await raw(s, 'DELETE', '/_profileflow/faults');

      const bad = await raw(s, 'PUT', '/_profileflow/faults', [
        { operation: 'NoSuchOperation', error: 'ThrottlingException' },
        { probability: 2, error: 'Teapot' },
        { operation: 'GetDomain' },
        // An object no String() can convert (its toString is not a function): quoted as JSON, never a 500.
        { operation: { toString: 1 }, error: 'ThrottlingException' },
      ]);
      assert.equal(bad.status, 400);
      assert.equal(bad.errorType, 'BadRequestException');
      const message = String(bad.json.Message);
      assert.match(message, /^5 validation errors detected/);
      for (const part of ['NoSuchOperation', 'probability', 'Teapot', 'rules[2] needs an error', `rules[3].operation '{"toString":1}' is neither`]) {
        assert.ok(message.includes(part), `${part} in ${message}`);
      }
      assert.deepEqual((await raw(s, 'GET', '/_profileflow/faults')).json, { rules: [] }, 'nothing changed');
    });

    test('the clock and the manual engine are steered through their routes', async () => {
      await raw(s, 'POST', '/_profileflow/reset');
      const before = clock.now();
      const moved = await raw(s, 'POST', '/_profileflow/clock', { advanceMs: 90_000 });
      assert.equal(moved.status, 200);
      assert.equal(moved.json.now, new Date(before + 90_000).toISOString());
      const env = await setupWorkflowEnv(s, 'steer');
      const id = await createWorkflow(s.client, { env });
      const advanced = await raw(s, 'POST', '/_profileflow/engine/advance', { pages: 1 });
      assert.equal(advanced.status, 200);
      assert.deepEqual(advanced.json.steps, [{ workflowId: id, stepNo: 1, outcome: 'yielded' }]);
      const rest = await raw(s, 'POST', '/_profileflow/engine/advance', { untilIdle: true });
      assert.deepEqual(rest.json.steps, [{ workflowId: id, stepNo: 1, outcome: 'workflow-complete' }]);
    });

    test('the clock stays within the years 1970 to 9999: a move past them is refused, naming it, and nothing breaks', async () => {
      const before = clock.now();
      const refusals = [
        [{ advanceMs: 1e308 }, /^advanceMs: Advancing by 1e\+308 ms would move the clock to a time outside 1970-01-01T00:00:00\.000Z to 9999-12-31T23:59:59\.999Z/],
        [{ advanceMs: Date.UTC(10_000, 0, 1) - before }, /^advanceMs: Advancing by \d+ ms would move the clock to a time outside/],
        [{ set: '+275760-09-13T00:00:00.000Z' }, /^set: The time \+275760-09-13T00:00:00\.000Z is outside 1970-01-01T00:00:00\.000Z to 9999-12-31T23:59:59\.999Z/],
        [{ set: '1969-12-31T23:59:59Z' }, /^set: The time 1969-12-31T23:59:59\.000Z is outside/],
      ] as const;
      for (const [body, message] of refusals) {
        const refused = await raw(s, 'POST', '/_profileflow/clock', body);
        assert.equal(refused.status, 400, JSON.stringify(body));
        assert.equal(refused.errorType, 'BadRequestException');
        assert.match(String(refused.json.Message), message);
      }
      assert.equal(clock.now(), before, 'the clock did not move');
      assert.equal((await raw(s, 'GET', '/_profileflow/engine')).status, 200);
      const last = await raw(s, 'POST', '/_profileflow/clock', { set: '9999-12-31T23:59:59.999Z' });
      assert.equal(last.status, 200);
      assert.equal(last.json.now, '9999-12-31T23:59:59.999Z');
      assert.equal((await raw(s, 'GET', '/_profileflow/engine')).json.now, '9999-12-31T23:59:59.999Z');
      clock.set(before);
    });
  });
}
