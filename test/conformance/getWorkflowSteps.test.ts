import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AppflowIntegrationWorkflowStep,
  CreateDomainCommand,
  GetDomainCommand,
  GetWorkflowCommand,
  GetWorkflowStepsCommand,
  type GetWorkflowStepsCommandInput,
} from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  allSteps,
  alterToken,
  consecutiveBatches,
  createWorkflow,
  DAY_MS,
  FLOW_NAME_PATTERN,
  HOUR_MS,
  isoOf,
  putObjectType,
  setupWorkflowEnv,
  UNKNOWN_WORKFLOW_ID,
  type WorkflowEnv,
} from '../helpers/workflows.js';

const STATUSES = ['NOT_STARTED', 'IN_PROGRESS', 'COMPLETE', 'FAILED', 'SPLIT', 'RETRY', 'CANCELLED'];

/** The model makes all eight members required, the strings 1..255 (FlowName ≤256 with its pattern). */
function assertStepShape(step: AppflowIntegrationWorkflowStep): void {
  assert.deepEqual(
    Object.keys(step).sort(),
    [
      'BatchRecordsEndTime',
      'BatchRecordsStartTime',
      'CreatedAt',
      'ExecutionMessage',
      'FlowName',
      'LastUpdatedAt',
      'RecordsProcessed',
      'Status',
    ],
  );
  assert.match(step.FlowName!, FLOW_NAME_PATTERN);
  assert.ok(step.FlowName!.length <= 256, `FlowName of ${step.FlowName!.length} characters`);
  assert.ok(STATUSES.includes(step.Status!), `Status ${step.Status}`);
  for (const member of ['ExecutionMessage', 'BatchRecordsStartTime', 'BatchRecordsEndTime'] as const) {
    const text = step[member]!;
    assert.equal(typeof text, 'string');
    assert.ok(text.length >= 1 && text.length <= 255, `${member} of ${text.length} characters`);
  }
  assert.equal(typeof step.RecordsProcessed, 'number');
  assert.ok(step.CreatedAt instanceof Date && !Number.isNaN(step.CreatedAt.getTime()));
  assert.ok(step.LastUpdatedAt instanceof Date && !Number.isNaN(step.LastUpdatedAt.getTime()));
}

for (const backend of await availableBackends()) {
  describe(`GetWorkflowSteps [${backend}]`, () => {
    const created = Date.UTC(2026, 2, 10, 14, 0, 0, 625);
    const clock = new ManualClock(created);
    // This server's engine is never run: its workflows keep their planned steps.
    let s: TestServer;
    let env: WorkflowEnv;
    let eight: string;
    const eightBatches = consecutiveBatches(Date.UTC(2025, 0, 1, 0, 0, 0, 500), 1, 2, 1, 3, 1, 1, 2, 1);
    before(async () => {
      s = await startServer(backend, { clock });
      env = await setupWorkflowEnv(s, 'gws');
      eight = await createWorkflow(s.client, { env, Batches: eightBatches });
    });
    after(() => s.close());

    const steps = (input: Omit<GetWorkflowStepsCommandInput, 'DomainName'> & { DomainName?: string }) =>
      s.client.send(new GetWorkflowStepsCommand({ DomainName: env.domain, ...input }));

    describe('serialization', () => {
      test('every item carries all eight members, the batch bounds as exact ISO-8601 text', async () => {
        const out = await steps({ WorkflowId: eight });
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.equal(out.WorkflowId, eight);
        assert.equal(out.WorkflowType, 'APPFLOW_INTEGRATION');
        assert.equal(out.NextToken, undefined, 'no NextToken on the last page');
        assert.equal(out.Items?.length, 8);
        out.Items!.forEach((item, i) => {
          const step = item.AppflowIntegration!;
          assertStepShape(step);
          assert.equal(step.Status, 'NOT_STARTED');
          assert.equal(step.RecordsProcessed, 0);
          assert.equal(step.BatchRecordsStartTime, isoOf(eightBatches[i].StartTime!.getTime()));
          assert.equal(step.BatchRecordsEndTime, isoOf(eightBatches[i].EndTime!.getTime()));
          assert.equal(step.CreatedAt!.getTime(), created, 'CreatedAt to the millisecond');
          assert.equal(step.LastUpdatedAt!.getTime(), created);
        });
        assert.equal(out.Items![0].AppflowIntegration!.BatchRecordsStartTime, '2025-01-01T00:00:00.500Z');
      });

      test('every step has its own FlowName, valid for the FlowName pattern even from a 256-character FlowName', async () => {
        const first = await allSteps(s.client, env.domain, eight);
        assert.equal(new Set(first.steps.map((st) => st.FlowName)).size, 8);
        const id = await createWorkflow(s.client, { env, FlowName: `F${'l'.repeat(255)}`, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 1, 1, 1) });
        const long = await allSteps(s.client, env.domain, id);
        for (const st of long.steps) assertStepShape(st);
        assert.equal(new Set(long.steps.map((st) => st.FlowName)).size, 3);
        const everyName = [...first.steps, ...long.steps].map((st) => st.FlowName);
        assert.equal(new Set(everyName).size, everyName.length, 'FlowNames are unique across workflows too');
      });
    });

    describe('validation', () => {
      test('a WorkflowId that is not 32 lowercase hex characters is a BadRequestException', async () => {
        for (const bad of ['a'.repeat(31), 'a'.repeat(33), eight.toUpperCase(), `${eight.slice(0, 31)}g`]) {
          await expectAwsError(steps({ WorkflowId: bad }), 'BadRequestException', 400, "at 'WorkflowId'", 'regular expression pattern');
        }
      });

      test('MaxResults 1 and 100 are accepted, 0 and 101 rejected', async () => {
        const one = await steps({ WorkflowId: eight, MaxResults: 1 });
        assert.equal(one.Items?.length, 1);
        assert.ok(one.NextToken);
        const hundred = await steps({ WorkflowId: eight, MaxResults: 100 });
        assert.equal(hundred.Items?.length, 8);
        assert.equal(hundred.NextToken, undefined);
        await expectAwsError(steps({ WorkflowId: eight, MaxResults: 0 }), 'BadRequestException', 400, "at 'MaxResults'", 'value greater than or equal to 1');
        await expectAwsError(steps({ WorkflowId: eight, MaxResults: 101 }), 'BadRequestException', 400, "at 'MaxResults'", 'value less than or equal to 100');
      });

      test('NextToken of 1..1024 characters passes validation (then must be a real token); empty and 1025 are rejected', async () => {
        await expectAwsError(steps({ WorkflowId: eight, NextToken: '' }), 'BadRequestException', 400, "at 'NextToken'", 'length greater than or equal to 1');
        await expectAwsError(steps({ WorkflowId: eight, NextToken: 't'.repeat(1025) }), 'BadRequestException', 400, "at 'NextToken'", 'length less than or equal to 1024');
        for (const garbage of ['t', 't'.repeat(1024)]) {
          const err = await expectAwsError(steps({ WorkflowId: eight, NextToken: garbage }), 'BadRequestException', 400, 'NextToken');
          assert.ok(!err.message.includes('length'), `the ${garbage.length}-character token passes the length rule: ${err.message}`);
        }
      });
    });

    describe('behaviour', () => {
      test('an unknown well-formed WorkflowId is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(steps({ WorkflowId: UNKNOWN_WORKFLOW_ID }), 'ResourceNotFoundException', 404, UNKNOWN_WORKFLOW_ID);
      });

      test('a domain that does not exist is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(
          steps({ DomainName: 'gws-no-domain', WorkflowId: eight }),
          'ResourceNotFoundException',
          404,
          'gws-no-domain',
        );
      });

      for (const size of [1, 2, 3, 100]) {
        test(`walking with MaxResults ${size} returns every step exactly once, in order`, async () => {
          const whole = (await steps({ WorkflowId: eight })).Items!.map((i) => i.AppflowIntegration!.FlowName);
          const walk = await allSteps(s.client, env.domain, eight, size);
          assert.deepEqual(walk.steps.map((st) => st.FlowName), whole);
          assert.equal(walk.pages, Math.ceil(8 / size));
        });
      }

      test('without MaxResults a page holds at most 100 steps', async () => {
        const hourly = Array.from({ length: 105 }, (_, i) => ({
          StartTime: new Date(Date.UTC(2025, 5, 1) + i * HOUR_MS),
          EndTime: new Date(Date.UTC(2025, 5, 1) + (i + 1) * HOUR_MS),
        }));
        const id = await createWorkflow(s.client, { env, Batches: hourly });
        const first = await steps({ WorkflowId: id });
        assert.equal(first.Items?.length, 100);
        assert.ok(first.NextToken);
        const second = await steps({ WorkflowId: id, NextToken: first.NextToken });
        assert.equal(second.Items?.length, 5);
        assert.equal(second.NextToken, undefined);
        const starts = [...first.Items!, ...second.Items!].map((i) => i.AppflowIntegration!.BatchRecordsStartTime);
        assert.deepEqual(starts, hourly.map((b) => isoOf(b.StartTime.getTime())));
      });

      test('a missing domain or workflow is reported before a NextToken problem of the same request', async () => {
        const token = (await steps({ WorkflowId: eight, MaxResults: 2 })).NextToken!;
        assert.ok(token);
        await expectAwsError(steps({ WorkflowId: UNKNOWN_WORKFLOW_ID, NextToken: token }), 'ResourceNotFoundException', 404, UNKNOWN_WORKFLOW_ID);
        await expectAwsError(steps({ WorkflowId: UNKNOWN_WORKFLOW_ID, NextToken: alterToken(token) }), 'ResourceNotFoundException', 404, UNKNOWN_WORKFLOW_ID);
        await expectAwsError(steps({ DomainName: 'gws-no-domain', WorkflowId: eight, NextToken: token }), 'ResourceNotFoundException', 404, 'gws-no-domain');
      });

      test('a token is good only for the workflow, domain and account it was issued for, and unaltered', async () => {
        const token = (await steps({ WorkflowId: eight, MaxResults: 2 })).NextToken!;
        assert.ok(token);
        // The token works where it was issued.
        assert.equal((await steps({ WorkflowId: eight, MaxResults: 2, NextToken: token })).Items?.length, 2);

        const sibling = await createWorkflow(s.client, { env, Batches: eightBatches });
        await expectAwsError(steps({ WorkflowId: sibling, NextToken: token }), 'BadRequestException', 400, 'NextToken');

        const otherEnv = await setupWorkflowEnv(s, 'gws-other');
        const inOtherDomain = await createWorkflow(s.client, { env: otherEnv, Batches: eightBatches });
        await expectAwsError(
          s.client.send(new GetWorkflowStepsCommand({ DomainName: otherEnv.domain, WorkflowId: inOtherDomain, NextToken: token })),
          'BadRequestException',
          400,
          'NextToken',
        );

        const otherAccount = s.clientFor({ accountId: '111122223333' });
        await otherAccount.send(new CreateDomainCommand({ DomainName: env.domain, DefaultExpirationDays: 1 }));
        await putObjectType(otherAccount, env.domain);
        const theirs = await createWorkflow(otherAccount, { env, Batches: eightBatches });
        await expectAwsError(
          otherAccount.send(new GetWorkflowStepsCommand({ DomainName: env.domain, WorkflowId: theirs, NextToken: token })),
          'BadRequestException',
          400,
          'NextToken',
        );

        await expectAwsError(steps({ WorkflowId: eight, NextToken: alterToken(token) }), 'BadRequestException', 400, 'NextToken');
        await expectAwsError(steps({ WorkflowId: eight, NextToken: `${token}x` }), 'BadRequestException', 400, 'NextToken');
      });

      test('another account or region does not see the steps', async () => {
        await expectAwsError(
          s.clientFor({ region: 'ap-south-1' }).send(new GetWorkflowStepsCommand({ DomainName: env.domain, WorkflowId: eight })),
          'ResourceNotFoundException',
          404,
        );
        const otherAccount = s.clientFor({ accountId: '444455556666' });
        await otherAccount.send(new CreateDomainCommand({ DomainName: env.domain, DefaultExpirationDays: 1 }));
        await expectAwsError(
          otherAccount.send(new GetWorkflowStepsCommand({ DomainName: env.domain, WorkflowId: eight })),
          'ResourceNotFoundException',
          404,
          eight,
        );
      });
    });

    describe('behaviour while the engine runs', () => {
      /** A server of its own per test, so that the engine runs only that test's workflow. */
      async function engineServer(t: { after: (fn: () => Promise<void>) => void }, options: Parameters<typeof startServer>[1] = {}) {
        const own = new ManualClock(created);
        const server = await startServer(backend, { clock: own, ...options });
        t.after(() => server.close());
        return { server, clock: own };
      }
      const stepsOf = async (server: TestServer, domain: string, id: string) => (await allSteps(server.client, domain, id)).steps;
      const workflowOf = (server: TestServer, domain: string, id: string) =>
        server.client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId: id }));

      test('steps run in the order they are listed, one page at a time', async (t) => {
        const { server, clock: own } = await engineServer(t);
        const e = await setupWorkflowEnv(server, 'gws-order');
        const start = Date.UTC(2025, 2, 1);
        // Deliberately not chronological: execution follows the given order.
        const batches = [
          { StartTime: new Date(start + 4 * DAY_MS), EndTime: new Date(start + 5 * DAY_MS) },
          { StartTime: new Date(start), EndTime: new Date(start + DAY_MS) },
          { StartTime: new Date(start + 2 * DAY_MS), EndTime: new Date(start + 3 * DAY_MS) },
        ];
        const id = await createWorkflow(server.client, { env: e, Batches: batches });
        const statuses: string[][] = [];
        for (let i = 0; i < 3; i++) {
          own.advance(1000);
          await server.engine.advance({ pages: 1 });
          const listed = await stepsOf(server, e.domain, id);
          statuses.push(listed.map((st) => st.Status!));
          listed.forEach(assertStepShape);
          const done = listed.filter((st) => st.Status === 'COMPLETE');
          assert.ok(done.every((st) => st.RecordsProcessed === 24));
          assert.ok(done.every((st) => st.LastUpdatedAt!.getTime() <= own.now()));
        }
        assert.deepEqual(statuses, [
          ['COMPLETE', 'NOT_STARTED', 'NOT_STARTED'],
          ['COMPLETE', 'COMPLETE', 'NOT_STARTED'],
          ['COMPLETE', 'COMPLETE', 'COMPLETE'],
        ]);
        const listed = await stepsOf(server, e.domain, id);
        assert.deepEqual(
          listed.map((st) => st.LastUpdatedAt!.getTime()),
          [created + 1000, created + 2000, created + 3000],
          'each step was last updated when it ran',
        );
      });

      test('a transient source failure shows the step in RETRY with a message about the retry, then COMPLETE', async (t) => {
        const { server, clock: own } = await engineServer(t);
        const e = await setupWorkflowEnv(server, 'gws-retry', { faults: [{ page: 1, kind: 'transient', times: 1 }] });
        const id = await createWorkflow(server.client, { env: e, Batches: consecutiveBatches(Date.UTC(2025, 7, 1), 1) });
        await server.engine.runUntilIdle();
        let [step] = await stepsOf(server, e.domain, id);
        assertStepShape(step);
        assert.equal(step.Status, 'RETRY');
        assert.match(step.ExecutionMessage!, /retry/i);
        assert.equal(step.RecordsProcessed, 0);
        assert.equal((await workflowOf(server, e.domain, id)).Status, 'IN_PROGRESS');

        // Not retried before its back-off has passed.
        await server.engine.runUntilIdle();
        assert.equal((await stepsOf(server, e.domain, id))[0].Status, 'RETRY');

        own.advance(60_000);
        await server.engine.runUntilIdle();
        [step] = await stepsOf(server, e.domain, id);
        assert.equal(step.Status, 'COMPLETE');
        assert.equal(step.RecordsProcessed, 24);
        const wf = await workflowOf(server, e.domain, id);
        assert.equal(wf.Status, 'COMPLETE');
        assert.equal(wf.Metrics?.AppflowIntegration?.RecordsProcessed, 24);
      });

      test("a source's Retry-After longer than the back-off postpones the retry to the time it asked for", async (t) => {
        const { server, clock: own } = await engineServer(t);
        const e = await setupWorkflowEnv(server, 'gws-retry-after', { faults: [{ page: 1, kind: 'transient', times: 1, retryAfterMs: 120_000 }] });
        const id = await createWorkflow(server.client, { env: e, Batches: consecutiveBatches(Date.UTC(2025, 7, 1), 1) });
        const failedAt = own.now();
        await server.engine.runUntilIdle();
        let [step] = await stepsOf(server, e.domain, id);
        assert.equal(step.Status, 'RETRY');
        assert.ok(step.ExecutionMessage!.includes(new Date(failedAt + 120_000).toISOString()), step.ExecutionMessage);

        own.advance(60_000); // the back-off (1 s) has long passed, the source's two minutes have not
        await server.engine.runUntilIdle();
        assert.equal((await stepsOf(server, e.domain, id))[0].Status, 'RETRY');

        own.advance(60_000);
        await server.engine.runUntilIdle();
        [step] = await stepsOf(server, e.domain, id);
        assert.equal(step.Status, 'COMPLETE');
        assert.equal(step.RecordsProcessed, 24);
      });

      test('a retry resumes after the last page ingested: no record is counted or ingested twice', async (t) => {
        // 12 to a page, two days: four pages; page 2 fails once after page 1 was committed.
        const { server, clock: own } = await engineServer(t, { engine: { pageSize: 12 } });
        const e = await setupWorkflowEnv(server, 'gws-resume', { faults: [{ page: 2, kind: 'transient', times: 1 }] });
        const id = await createWorkflow(server.client, { env: e, Batches: consecutiveBatches(Date.UTC(2025, 7, 1), 2) });
        await server.engine.runUntilIdle();
        let [step] = await stepsOf(server, e.domain, id);
        assert.equal(step.Status, 'RETRY');
        assert.equal(step.RecordsProcessed, 12, 'page 1 stays counted while the step waits to retry');
        own.advance(60_000);
        await server.engine.runUntilIdle();
        [step] = await stepsOf(server, e.domain, id);
        assert.equal(step.Status, 'COMPLETE');
        assert.equal(step.RecordsProcessed, 48);
        const wf = await workflowOf(server, e.domain, id);
        assert.equal(wf.Metrics?.AppflowIntegration?.RecordsProcessed, 48);
        const stats = (await server.client.send(new GetDomainCommand({ DomainName: e.domain }))).Stats;
        assert.equal(stats?.ObjectCount, 48);
      });

      test('after three retries the step is FAILED, the workflow FAILED and the later steps CANCELLED', async (t) => {
        const { server, clock: own } = await engineServer(t);
        const e = await setupWorkflowEnv(server, 'gws-retry3', { faults: [{ page: 1, kind: 'transient', times: 10 }] });
        const id = await createWorkflow(server.client, { env: e, Batches: consecutiveBatches(Date.UTC(2025, 7, 1), 1, 1, 1) });
        const retryMessages: string[] = [];
        for (let round = 0; round < 6; round++) {
          await server.engine.runUntilIdle();
          const [first] = await stepsOf(server, e.domain, id);
          if (first.Status !== 'RETRY') break;
          retryMessages.push(first.ExecutionMessage!);
          own.advance(60_000);
        }
        assert.equal(retryMessages.length, 3, `three retries: ${JSON.stringify(retryMessages)}`);
        for (const m of retryMessages) assert.match(m, /retry/i);
        assert.equal(new Set(retryMessages).size, 3, 'each retry has its own message');

        const listed = await stepsOf(server, e.domain, id);
        listed.forEach(assertStepShape);
        assert.deepEqual(listed.map((st) => st.Status), ['FAILED', 'CANCELLED', 'CANCELLED']);
        const wf = await workflowOf(server, e.domain, id);
        assert.equal(wf.Status, 'FAILED');
        assert.ok(wf.ErrorDescription && wf.ErrorDescription.length <= 255);
        assert.deepEqual(wf.Metrics?.AppflowIntegration, { RecordsProcessed: 0, StepsCompleted: 0, TotalSteps: 3 });

        // Nothing runs any more.
        own.advance(3_600_000);
        const ran = await server.engine.runUntilIdle();
        assert.equal(ran.steps.length, 0);
      });

      test('a window larger than a step may hold is SPLIT into halves appended as new steps; the records stay exact', async (t) => {
        const { server } = await engineServer(t, { engine: { maxRecordsPerStep: 30, minWindowMs: 3_600_000 } });
        const e = await setupWorkflowEnv(server, 'gws-split');
        const d0 = Date.UTC(2025, 9, 1);
        const id = await createWorkflow(server.client, { env: e, Batches: consecutiveBatches(d0, 3) });
        assert.equal((await workflowOf(server, e.domain, id)).Metrics?.AppflowIntegration?.TotalSteps, 1);

        await server.engine.advance({ pages: 1 });
        let listed = await stepsOf(server, e.domain, id);
        assert.deepEqual(listed.map((st) => st.Status), ['SPLIT', 'NOT_STARTED', 'NOT_STARTED']);
        assert.equal((await workflowOf(server, e.domain, id)).Metrics?.AppflowIntegration?.TotalSteps, 2);

        await server.engine.runUntilIdle();
        listed = await stepsOf(server, e.domain, id);
        listed.forEach(assertStepShape);
        const h = (hours: number) => isoOf(d0 + hours * HOUR_MS);
        assert.deepEqual(
          listed.map((st) => [st.Status, st.BatchRecordsStartTime, st.BatchRecordsEndTime, st.RecordsProcessed]),
          [
            ['SPLIT', h(0), h(72), 0],
            ['SPLIT', h(0), h(36), 0],
            ['SPLIT', h(36), h(72), 0],
            ['COMPLETE', h(0), h(18), 18],
            ['COMPLETE', h(18), h(36), 18],
            ['COMPLETE', h(36), h(54), 18],
            ['COMPLETE', h(54), h(72), 18],
          ],
        );
        assert.equal(new Set(listed.map((st) => st.FlowName)).size, 7, 'every step has its own FlowName');
        const wf = await workflowOf(server, e.domain, id);
        assert.equal(wf.Status, 'COMPLETE');
        assert.deepEqual(wf.Metrics?.AppflowIntegration, { RecordsProcessed: 72, StepsCompleted: 4, TotalSteps: 4 });
      });

      test('a source that answers "too large" makes the step SPLIT, and its halves ingest the window exactly', async (t) => {
        const { server } = await engineServer(t);
        const e = await setupWorkflowEnv(server, 'gws-toolarge', { faults: [{ page: 1, kind: 'too-large', times: 1 }] });
        const d0 = Date.UTC(2025, 10, 1);
        const id = await createWorkflow(server.client, { env: e, Batches: consecutiveBatches(d0, 2) });
        await server.engine.runUntilIdle();
        const listed = await stepsOf(server, e.domain, id);
        listed.forEach(assertStepShape);
        assert.deepEqual(
          listed.map((st) => [st.Status, st.BatchRecordsStartTime, st.BatchRecordsEndTime, st.RecordsProcessed]),
          [
            ['SPLIT', isoOf(d0), isoOf(d0 + 2 * DAY_MS), 0],
            ['COMPLETE', isoOf(d0), isoOf(d0 + DAY_MS), 24],
            ['COMPLETE', isoOf(d0 + DAY_MS), isoOf(d0 + 2 * DAY_MS), 24],
          ],
        );
        const wf = await workflowOf(server, e.domain, id);
        assert.deepEqual(wf.Metrics?.AppflowIntegration, { RecordsProcessed: 48, StepsCompleted: 2, TotalSteps: 2 });
      });

      test('a split after some pages were ingested takes those records back, so the total stays exact', async (t) => {
        // Page 2 answers "too large" once: page 1 (12 records) was already ingested by the step that splits.
        const { server } = await engineServer(t, { engine: { pageSize: 12 } });
        const e = await setupWorkflowEnv(server, 'gws-latesplit', { faults: [{ page: 2, kind: 'too-large', times: 1 }] });
        const d0 = Date.UTC(2025, 11, 1);
        const id = await createWorkflow(server.client, { env: e, Batches: consecutiveBatches(d0, 2) });
        await server.engine.runUntilIdle();
        const listed = await stepsOf(server, e.domain, id);
        assert.equal(listed[0].Status, 'SPLIT');
        assert.ok(listed.slice(1).every((st) => st.Status === 'COMPLETE'));
        const halvesTotal = listed.filter((st) => st.Status === 'COMPLETE').reduce((n, st) => n + st.RecordsProcessed!, 0);
        assert.equal(halvesTotal, 48);
        const wf = await workflowOf(server, e.domain, id);
        assert.equal(wf.Status, 'COMPLETE');
        assert.equal(wf.Metrics?.AppflowIntegration?.RecordsProcessed, 48);
      });
    });
  });
}
