import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { DeleteProfileObjectTypeCommand, DeleteWorkflowCommand, GetIntegrationCommand, GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import type { FlowDefinition } from '../../src/api/shapes.generated.js';
import { ManualClock, systemClock } from '../../src/engine/clock.js';
import { Engine, type EngineEvent } from '../../src/engine/engine.js';
import type { Database } from '../../src/store/schema.js';
import { KyselyWorkflowRepository } from '../../src/store/repositories/workflows.js';
import { TurnNotReached } from '../../src/store/turns.js';
import { availableBackends } from '../helpers/backends.js';
import { eventually, until } from '../helpers/poll.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';
import { allSteps, consecutiveBatches, createWorkflow, flowNameOf, flowUriOf, setupWorkflowEnv, uniqueProfileName } from '../helpers/workflows.js';

const T0 = Date.UTC(2026, 2, 1);
const ONE_DAY = consecutiveBatches(Date.UTC(2025, 0, 1), 1);

async function withServer(t: { after: (fn: () => Promise<void>) => void }, backend: 'sqlite' | 'postgres', options: Parameters<typeof startServer>[1]) {
  const s = await startServer(backend, options);
  t.after(() => s.close());
  return s;
}

/** A synthetic connector profile whose pages each take `pageDelayMs` of real time (a slow source). */
async function putSlowProfile(s: TestServer, name: string, pageDelayMs: number): Promise<void> {
  const response = await fetch(`${s.url}/_profileflow/connector-profiles/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'synthetic', connectorTypes: ['Salesforce'], settings: { recordsPerDay: 24, seed: 7, pageDelayMs } }),
  });
  assert.ok(response.ok, `${response.status} ${await response.text()}`);
}

/**
 * Makes every page checkpoint of the workflows `which` picks throw `error()`: a fault of the service's own
 * met in a step's page transaction. Returns the undo.
 */
/**
 * Every page checkpoint of the workflows `which` picks throws `error`. `which` also gets the workflow's
 * domain, read in the page's own transaction: a workflow picked by domain is faulted from its first page,
 * even if the auto engine claims it before the test has its id.
 */
function failCheckpoints(error: () => Error, which: (workflowId: string, domainName: string) => boolean = () => true): () => void {
  const checkpoint = KyselyWorkflowRepository.prototype.checkpointPage;
  KyselyWorkflowRepository.prototype.checkpointPage = async function (this: KyselyWorkflowRepository, ...args) {
    const { workflowId } = args[0].key;
    const db = (this as unknown as { db: Kysely<Database> }).db;
    const row = await db.selectFrom('workflows').select('domain_name').where('workflow_id', '=', workflowId).executeTakeFirst();
    if (which(workflowId, row?.domain_name ?? '')) throw error();
    return checkpoint.apply(this, args);
  };
  return () => {
    KyselyWorkflowRepository.prototype.checkpointPage = checkpoint;
  };
}

const stepStatus = async (s: TestServer, domain: string, id: string) => (await allSteps(s.client, domain, id)).steps[0];

for (const backend of await availableBackends()) {
  describe(`the engine's state machine [${backend}]`, () => {
    test('retry with back-off: the default policy waits exactly 1 s, 2 s, 4 s on the service clock, then fails after the third retry', async (t) => {
      const clock = new ManualClock(T0);
      const s = await withServer(t, backend, { clock, engine: { pageSize: 24 } });
      const env = await setupWorkflowEnv(s, 'sm-backoff', { faults: [{ page: 1, kind: 'transient', times: 4 }] });
      const id = await createWorkflow(s.client, { env, Batches: ONE_DAY });
      const delays = [1000, 2000, 4000];
      for (const [i, delay] of delays.entries()) {
        const ran = await s.engine.advance({ pages: 1 });
        assert.deepEqual(ran.steps.map((r) => r.outcome), ['retry'], `attempt ${i + 1} fails and is retried`);
        const step = await stepStatus(s, env.domain, id);
        assert.equal(step.Status, 'RETRY');
        assert.match(step.ExecutionMessage!, new RegExp(`Retry ${i + 1} of 3 at ${new Date(clock.now() + delay).toISOString()}`));
        clock.advance(delay - 1);
        assert.deepEqual((await s.engine.advance({ pages: 1 })).steps, [], `not due ${delay - 1} ms after the failure`);
        clock.advance(1);
      }
      const last = await s.engine.advance({ pages: 1 });
      assert.deepEqual(last.steps.map((r) => r.outcome), ['failed'], 'the fourth failure is one too many');
      const out = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
      assert.equal(out.Status, 'FAILED');
      assert.match(out.ErrorDescription!, /Failed after 3 retries/);
    });

    test('an internal error in a step is retried with back-off, logged for the operator, and fails the step after the third retry without telling the tenant its internals', async (t) => {
      const clock = new ManualClock(T0);
      const s = await withServer(t, backend, { clock, engine: { pageSize: 24 } });
      const env = await setupWorkflowEnv(s, 'sm-internal-error');
      const id = await createWorkflow(s.client, { env, Batches: ONE_DAY });
      const logged: unknown[] = [];
      t.after(s.engine.onEvent((e) => e.type === 'error' && logged.push(e.error)));
      const restore = failCheckpoints(() => new TypeError('cannot read properties of undefined (reading secret_column)'));
      t.after(restore);
      for (const [i, delay] of [1000, 2000, 4000].entries()) {
        assert.deepEqual((await s.engine.advance({ pages: 1 })).steps.map((r) => r.outcome), ['retry'], `attempt ${i + 1} is recorded as a retry`);
        const step = await stepStatus(s, env.domain, id);
        assert.equal(step.Status, 'RETRY');
        assert.equal(
          step.ExecutionMessage,
          `Internal error: the service met an internal error (TypeError); its log has the details. Retry ${i + 1} of 3 at ${new Date(clock.now() + delay).toISOString()}.`,
        );
        clock.advance(delay);
      }
      assert.deepEqual((await s.engine.advance({ pages: 1 })).steps.map((r) => r.outcome), ['failed']);
      const out = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
      assert.equal(out.Status, 'FAILED');
      assert.match(out.ErrorDescription!, /failed: Failed after 3 retries: the service met an internal error \(TypeError\)/);
      assert.doesNotMatch(out.ErrorDescription!, /secret_column/);
      assert.equal(logged.length, 4, 'each attempt reaches the operator\'s log');
      assert.match(String((logged[0] as Error).message), /secret_column/);
      clock.advance(3_600_000);
      assert.deepEqual((await s.engine.runUntilIdle()).steps, [], 'never claimed again');
    });

    test('a statement the database cancelled at the statement timeout counts as an attempt: the step is retried, then fails, never handed back forever', async (t) => {
      const clock = new ManualClock(T0);
      const s = await withServer(t, backend, { clock, engine: { pageSize: 24 } });
      const env = await setupWorkflowEnv(s, 'sm-statement-timeout');
      const id = await createWorkflow(s.client, { env, Batches: ONE_DAY });
      const restore = failCheckpoints(() => Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }));
      t.after(restore);
      for (const [i, delay] of [1000, 2000, 4000].entries()) {
        assert.deepEqual((await s.engine.advance({ pages: 1 })).steps.map((r) => r.outcome), ['retry'], `attempt ${i + 1} is recorded as a retry`);
        const step = await stepStatus(s, env.domain, id);
        assert.equal(
          step.ExecutionMessage,
          `Internal error: a database statement ran past the service's statement timeout; its log has the details. Retry ${i + 1} of 3 at ${new Date(clock.now() + delay).toISOString()}.`,
        );
        clock.advance(delay);
      }
      assert.deepEqual((await s.engine.advance({ pages: 1 })).steps.map((r) => r.outcome), ['failed']);
      const out = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
      assert.equal(out.Status, 'FAILED');
    });

    test('a page that waited too long behind other work (its domain\'s turn, a deadlock, a lock timeout) hands the step back without counting an attempt', async (t) => {
      const clock = new ManualClock(T0);
      const s = await withServer(t, backend, { clock, engine: { pageSize: 24 } });
      const env = await setupWorkflowEnv(s, 'sm-contention');
      const id = await createWorkflow(s.client, { env, Batches: ONE_DAY });
      const contention = [
        () => new TurnNotReached(30_000),
        () => Object.assign(new Error('deadlock detected'), { code: '40P01' }),
        () => Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' }),
        () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }),
        () => Object.assign(new Error('canceling statement due to user request'), { code: '57014' }),
      ];
      // Five times, more than the retries a fault of the service's own is allowed.
      for (const error of contention) {
        const restore = failCheckpoints(error);
        try {
          await assert.rejects(s.engine.advance({ pages: 1 }), (err: Error) => err.message === error().message);
        } finally {
          restore();
        }
        const step = await stepStatus(s, env.domain, id);
        assert.notEqual(step.Status, 'RETRY', `${error().message}: no retry recorded`);
        assert.doesNotMatch(step.ExecutionMessage ?? '', /Retry|Internal error/);
      }
      assert.deepEqual((await s.engine.runUntilIdle()).steps.map((r) => r.outcome), ['workflow-complete'], 'handed back, it is claimed again at once');
      const out = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
      assert.equal(out.Status, 'COMPLETE');
      assert.equal(out.Metrics?.AppflowIntegration?.RecordsProcessed, 24);
    });

    test('a workflow whose step keeps meeting an internal error does not hold the engine: other workflows run while it waits for its retry', async (t) => {
      const s = await withServer(t, backend, { clock: systemClock, engine: { mode: 'auto', concurrency: 1, pollIntervalMs: 20, pageSize: 24 } });
      const broken = await setupWorkflowEnv(s, 'sm-internal-broken');
      const brokenIds: string[] = [];
      // Installed before they exist, by domain: the auto engine may claim one as soon as it is created.
      const restore = failCheckpoints(() => new RangeError('Invalid array length'), (_, domainName) => domainName === broken.domain);
      t.after(restore);
      for (let i = 0; i < 3; i++) brokenIds.push(await createWorkflow(s.client, { env: broken, Batches: ONE_DAY }));
      const healthy = await setupWorkflowEnv(s, 'sm-internal-healthy');
      const healthyId = await createWorkflow(s.client, { env: healthy, Batches: ONE_DAY });
      // One slot, three broken workflows ahead of it: handed back at once, they would be claimed in turn forever.
      await until(
        async () => (await s.client.send(new GetWorkflowCommand({ DomainName: healthy.domain, WorkflowId: healthyId }))).Status === 'COMPLETE',
        'the healthy workflow to complete',
        10_000,
      );
      for (const id of brokenIds) {
        const { Status } = await s.client.send(new GetWorkflowCommand({ DomainName: broken.domain, WorkflowId: id }));
        assert.notEqual(Status, 'COMPLETE', `broken workflow ${id} never wrote a page`);
      }
    });

    test('a step paced by a page delay leaves no listener behind per page: a long step raises no MaxListenersExceededWarning', async (t) => {
      const warnings: Error[] = [];
      const onWarning = (w: Error) => warnings.push(w);
      process.on('warning', onWarning);
      t.after(() => process.off('warning', onWarning));
      // 24 records in pages of 2: twelve pages, one more than the listeners a signal takes without warning.
      const s = await withServer(t, backend, { clock: systemClock, engine: { mode: 'auto', concurrency: 1, pollIntervalMs: 20, pageSize: 2, pageDelayMs: 1 } });
      const env = await setupWorkflowEnv(s, 'sm-page-delay');
      const id = await createWorkflow(s.client, { env, Batches: ONE_DAY });
      await until(async () => (await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }))).Status === 'COMPLETE', 'the workflow to complete', 10_000);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message), []);
    });

    test('a workflow whose pages keep waiting too long behind other work goes behind the others it finds due: they run, and it completes once the load passes', async (t) => {
      const s = await withServer(t, backend, { clock: systemClock, engine: { mode: 'auto', concurrency: 1, pollIntervalMs: 20, pageSize: 24 } });
      const busy = await setupWorkflowEnv(s, 'sm-contended-busy');
      const busyIds: string[] = [];
      let contended = true;
      // Installed before they exist, by domain: the auto engine may claim one as soon as it is created.
      const restore = failCheckpoints(() => new TurnNotReached(30_000), (_, domainName) => contended && domainName === busy.domain);
      t.after(restore);
      for (let i = 0; i < 3; i++) busyIds.push(await createWorkflow(s.client, { env: busy, Batches: ONE_DAY }));
      const other = await setupWorkflowEnv(s, 'sm-contended-other');
      const otherId = await createWorkflow(s.client, { env: other, Batches: ONE_DAY });
      // Never counted, the busy domain's steps would be claimed first forever had they kept their place.
      await until(
        async () => (await s.client.send(new GetWorkflowCommand({ DomainName: other.domain, WorkflowId: otherId }))).Status === 'COMPLETE',
        'the other workflow to complete',
        10_000,
      );
      for (const id of busyIds) {
        const { Status } = await s.client.send(new GetWorkflowCommand({ DomainName: busy.domain, WorkflowId: id }));
        assert.notEqual(Status, 'COMPLETE', `busy workflow ${id} could not have written a page yet`);
      }
      contended = false;
      for (const id of busyIds) {
        await until(async () => (await s.client.send(new GetWorkflowCommand({ DomainName: busy.domain, WorkflowId: id }))).Status === 'COMPLETE', `busy workflow ${id} to complete`, 10_000);
      }
    });

    test('a failure whose own handling throws (a split that cannot be written) counts as an internal error: retried, then the step fails, never left holding its lease', async (t) => {
      const clock = new ManualClock(T0);
      const s = await withServer(t, backend, { clock, engine: { pageSize: 24 } });
      const env = await setupWorkflowEnv(s, 'sm-split-throws', { faults: [{ page: 1, kind: 'too-large', times: 100 }] });
      const id = await createWorkflow(s.client, { env, Batches: ONE_DAY });
      const split = KyselyWorkflowRepository.prototype.splitStep;
      KyselyWorkflowRepository.prototype.splitStep = async () => {
        throw new TypeError('split bookkeeping broke');
      };
      t.after(() => {
        KyselyWorkflowRepository.prototype.splitStep = split;
      });
      for (const delay of [1000, 2000, 4000]) {
        assert.deepEqual((await s.engine.advance({ pages: 1 })).steps.map((r) => r.outcome), ['retry']);
        assert.match((await stepStatus(s, env.domain, id)).ExecutionMessage ?? '', /^Internal error: the service met an internal error \(TypeError\)/);
        clock.advance(delay);
      }
      assert.deepEqual((await s.engine.advance({ pages: 1 })).steps.map((r) => r.outcome), ['failed']);
      assert.equal((await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }))).Status, 'FAILED');
    });

    test('a stored FlowDefinition that cannot run fails its step for good, once, instead of being claimed again', async (t) => {
      const clock = new ManualClock(T0);
      const s = await withServer(t, backend, { clock });
      const env = await setupWorkflowEnv(s, 'sm-bad-definition');
      // Written straight to the store: CreateIntegrationWorkflow refuses such a definition.
      const broken: FlowDefinition = {
        FlowName: flowNameOf(env.domain),
        KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
        SourceFlowConfig: { ConnectorType: 'Salesforce', ConnectorProfileName: env.profile, SourceConnectorProperties: {} },
        Tasks: [],
        TriggerConfig: { TriggerType: 'OnDemand' },
      };
      const workflowId = 'b'.repeat(32);
      const scope = { accountId: TEST_ACCOUNT, region: TEST_REGION };
      await s.store.workflows.create(
        scope,
        {
          workflowId,
          domainName: env.domain,
          workflowType: 'APPFLOW_INTEGRATION',
          status: 'NOT_STARTED',
          objectTypeName: env.objectType,
          connectorType: 'Salesforce',
          connectorProfileName: env.profile,
          roleArn: 'arn:aws:iam::123456789012:role/r',
          definition: { flowDefinition: broken },
          recordsProcessed: 0,
          stepsCompleted: 0,
          totalSteps: 1,
          createdAt: T0,
          updatedAt: T0,
        },
        [{ windowStart: T0 - 86_400_000, windowEnd: T0, executionMessage: 'waiting' }],
      );
      const ran = await s.engine.runUntilIdle();
      assert.deepEqual(ran.steps.map((r) => r.outcome), ['failed'], 'claimed once, failed once');
      const step = await stepStatus(s, env.domain, workflowId);
      assert.equal(step.Status, 'FAILED');
      assert.equal(
        step.ExecutionMessage,
        'Failed: The stored FlowDefinition cannot run: SourceConnectorProperties.Salesforce is required when ConnectorType is Salesforce.',
      );
      clock.advance(3_600_000);
      assert.deepEqual((await s.engine.runUntilIdle()).steps, [], 'never claimed again');
    });

    test('a stored object type that cannot map records fails its step for good, once, naming the problem, instead of being handed back', async (t) => {
      const clock = new ManualClock(T0);
      const s = await withServer(t, backend, { clock, engine: { pageSize: 24 } });
      const env = await setupWorkflowEnv(s, 'sm-bad-object-type');
      const id = await createWorkflow(s.client, { env, Batches: ONE_DAY });
      // Written straight to the store (a database written by an earlier release, or edited by hand):
      // PutProfileObjectType refuses a key naming a field the type does not define.
      const scope = { accountId: TEST_ACCOUNT, region: TEST_REGION };
      const stored = (await s.store.objectTypes.get(scope, env.domain, env.objectType))!;
      await s.store.objectTypes.put(scope, env.domain, { ...stored, keys: { ...stored.keys, Broken: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Missing'] }] } });
      const ran = await s.engine.runUntilIdle();
      assert.deepEqual(ran.steps.map((r) => r.outcome), ['failed'], 'claimed once, failed once');
      const step = await stepStatus(s, env.domain, id);
      assert.equal(step.Status, 'FAILED');
      assert.equal(
        step.ExecutionMessage,
        `Failed: Objects of type ${env.objectType} cannot be ingested: Key Broken names the field Missing, which is not defined in Fields.`,
      );
      assert.equal(step.RecordsProcessed, 0);
      clock.advance(3_600_000);
      assert.deepEqual((await s.engine.runUntilIdle()).steps, [], 'never claimed again');
      assert.equal((await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }))).Status, 'FAILED');
    });

    test('the reaper finishes a deletion nobody else will: an engine that never ran the workflow purges it, integration and all', async (t) => {
      const clock = new ManualClock(T0);
      const s = await withServer(t, backend, { clock, engine: { pageSize: 24 } });
      const env = await setupWorkflowEnv(s, 'sm-reaper');
      const id = await createWorkflow(s.client, { env, Tags: { team: 'data' } });
      await s.engine.runUntilIdle();
      const uri = flowUriOf(env.domain);
      assert.equal((await s.client.send(new GetIntegrationCommand({ DomainName: env.domain, Uri: uri }))).WorkflowId, id);
      // A worker that held a lease on another workflow's step and died: nothing of it blocks the reaper.
      const stuck = await createWorkflow(s.client, { env, Batches: ONE_DAY });
      assert.equal((await s.store.workflows.claim({ owner: 'dead-worker', now: clock.now(), leaseMs: 3_600_000 }))?.step.workflowId, stuck);
      await s.client.send(new DeleteWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
      await s.client.send(new DeleteWorkflowCommand({ DomainName: env.domain, WorkflowId: stuck }));

      // Another process's engine (a `profileflow worker` beside an API-only serve) on the same store.
      const worker = new Engine(s.store, clock, { mode: 'manual' });
      const purged: string[] = [];
      worker.onEvent((e: EngineEvent) => {
        if (e.type === 'purged') {
          assert.equal(e.change.workflow.status, 'CANCELLED');
          purged.push(e.change.workflow.workflowId);
        }
      });
      const ran = await worker.advance({ pages: 1 });
      assert.deepEqual(ran.steps, [], 'nothing of a cancelled workflow runs');
      assert.deepEqual(purged.sort(), [id, stuck].sort(), 'both purged, the one whose holder died without waiting for its lease');
      for (const w of [id, stuck]) {
        await expectAwsError(s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: w })), 'ResourceNotFoundException', 404);
      }
      await expectAwsError(s.client.send(new GetIntegrationCommand({ DomainName: env.domain, Uri: uri })), 'ResourceNotFoundException', 404);
      assert.deepEqual(await s.store.workflows.cancelledWorkflows(10), []);
    });

    test('a step longer than several leases keeps its lease by renewing it: no rival takes it over and every record is counted once', async (t) => {
      const leaseMs = 300;
      const s = await withServer(t, backend, { clock: systemClock, engine: { mode: 'auto', leaseMs, pollIntervalMs: 20, pageSize: 12, concurrency: 1 } });
      const env = await setupWorkflowEnv(s, 'sm-renewal');
      const profile = uniqueProfileName('sm-slow');
      // 2 pages of 12 records, each taking 700 ms to arrive: more than two leases pass with no checkpoint
      // (which renews too), so only the heartbeat can keep the lease.
      await putSlowProfile(s, profile, 700);
      const takeovers: boolean[] = [];
      s.engine.onEvent((e) => {
        if (e.type === 'step') takeovers.push(e.tookOver);
      });
      const id = await createWorkflow(s.client, { env: { ...env, profile }, Batches: ONE_DAY });
      // The rival starts once the engine holds the step. Started at once, it could claim the new step
      // before the engine's slot did (nobody held it yet), and the engine then took it over after that
      // lease lapsed: a race of the test's, not a lost renewal (every renewal during the long pages held).
      await eventually(async () => ((await stepStatus(s, env.domain, id))?.Status === 'IN_PROGRESS' ? true : undefined), 'the engine to claim the step', 10_000);
      let rivalClaims = 0;
      const done = await eventually(async () => {
        // A rival worker asking all along: it must never get the step while its holder renews.
        if (await s.store.workflows.claim({ owner: 'rival', now: Date.now(), leaseMs })) rivalClaims++;
        const w = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
        return w.Status === 'COMPLETE' || w.Status === 'FAILED' ? w : undefined;
      }, 'the long step to finish', 30_000);
      assert.equal(rivalClaims, 0);
      assert.equal(done.Status, 'COMPLETE');
      assert.equal(done.Metrics?.AppflowIntegration?.RecordsProcessed, 24);
      assert.deepEqual(takeovers, [false]);
    });

    for (const removed of ['object type', 'connector profile'] as const) {
      test(`the ${removed} deleted under a running step fails it for good at its next page, naming it`, async (t) => {
        const s = await withServer(t, backend, { clock: systemClock, engine: { mode: 'auto', pollIntervalMs: 20, pageSize: 2, concurrency: 1 } });
        const env = await setupWorkflowEnv(s, `sm-removed-${removed === 'object type' ? 'type' : 'profile'}`);
        const profile = uniqueProfileName('sm-slow');
        await putSlowProfile(s, profile, 50);
        const id = await createWorkflow(s.client, { env: { ...env, profile }, Batches: ONE_DAY });
        const get = () => s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
        await eventually(async () => ((await get()).Metrics?.AppflowIntegration?.RecordsProcessed ?? 0) > 0 || undefined, 'a first page', 10_000);
        if (removed === 'object type') {
          await s.client.send(new DeleteProfileObjectTypeCommand({ DomainName: env.domain, ObjectTypeName: env.objectType }));
        } else {
          const response = await fetch(`${s.url}/_profileflow/connector-profiles/${encodeURIComponent(profile)}`, { method: 'DELETE' });
          assert.ok(response.ok);
        }
        const out = await eventually(async () => {
          const w = await get();
          return w.Status === 'FAILED' || w.Status === 'COMPLETE' ? w : undefined;
        }, 'the step to stop', 10_000);
        assert.equal(out.Status, 'FAILED');
        const name = removed === 'object type' ? `Object type ${env.objectType}` : `Connector profile ${profile}`;
        assert.match(out.ErrorDescription!, new RegExp(`${name} was deleted while the step ran\\.`));
        assert.ok((out.Metrics?.AppflowIntegration?.RecordsProcessed ?? 0) < 24, 'it stopped before the end of its window');
      });
    }
  });
}
