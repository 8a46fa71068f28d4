import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateDomainCommand, CreateIntegrationWorkflowCommand, DeleteWorkflowCommand, GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  allSteps,
  consecutiveBatches,
  createWorkflow,
  DAY_MS,
  putObjectType,
  RECORDS_PER_DAY,
  ROLE_ARN,
  setupWorkflowEnv,
  UNKNOWN_WORKFLOW_ID,
  withMember,
  workflowRequest,
} from '../helpers/workflows.js';

/** Two pages a day: with 24 records a day and 12 to a page, a batch of d days reads in 2·d pages. */
const PAGE_SIZE = 12;

for (const backend of await availableBackends()) {
  describe(`GetWorkflow [${backend}]`, () => {
    const created = Date.UTC(2026, 1, 3, 10, 15, 30, 375);
    const clock = new ManualClock(created);
    let s: TestServer;
    before(async () => {
      s = await startServer(backend, { clock, engine: { pageSize: PAGE_SIZE } });
    });
    after(() => s.close());

    const get = (domain: string, id: string) => s.client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId: id }));

    describe('serialization', () => {
      test('before it runs: every member, Status NOT_STARTED, metrics 0/0/N, the attributes of the request', async () => {
        clock.set(created);
        const env = await setupWorkflowEnv(s, 'gw-ser');
        const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 1, 1, 1) });
        clock.advance(60_000);
        const out = await get(env.domain, id);
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.equal(out.WorkflowId, id);
        assert.equal(out.WorkflowType, 'APPFLOW_INTEGRATION');
        assert.equal(out.Status, 'NOT_STARTED');
        assert.equal(out.ErrorDescription, undefined);
        assert.deepEqual(out.Attributes, {
          AppflowIntegration: { SourceConnectorType: 'Salesforce', ConnectorProfileName: env.profile, RoleArn: ROLE_ARN },
        });
        assert.deepEqual(out.Metrics, { AppflowIntegration: { RecordsProcessed: 0, StepsCompleted: 0, TotalSteps: 3 } });
        assert.ok(out.StartDate instanceof Date && out.LastUpdatedAt instanceof Date);
        assert.equal(out.StartDate.getTime(), created, 'StartDate to the millisecond');
        assert.equal(out.LastUpdatedAt.getTime(), created, 'LastUpdatedAt to the millisecond');
      });

      test('a RoleArn longer than 255 characters is shown cut to the 255 the output shape allows', async () => {
        const env = await setupWorkflowEnv(s, 'gw-role');
        const role = `arn:aws:iam::123456789012:role/${'r'.repeat(400)}`;
        const out = await s.client.send(new CreateIntegrationWorkflowCommand(withMember(workflowRequest({ env }), 'RoleArn', role)));
        const got = await get(env.domain, out.WorkflowId!);
        assert.equal(got.Attributes?.AppflowIntegration?.RoleArn, role.slice(0, 255));
      });
    });

    describe('validation', () => {
      test('a WorkflowId that is not 32 lowercase hex characters is a BadRequestException', async () => {
        const env = await setupWorkflowEnv(s, 'gw-val');
        for (const bad of ['a'.repeat(31), 'a'.repeat(33), 'ABCDEF0123456789ABCDEF0123456789', `${'a'.repeat(31)}g`, 'integrations']) {
          await expectAwsError(get(env.domain, bad), 'BadRequestException', 400, "at 'WorkflowId'", 'regular expression pattern');
        }
      });

      test('DomainName must match ^[a-zA-Z0-9_-]+$ and hold at most 64 characters', async () => {
        await expectAwsError(get('bad.domain', UNKNOWN_WORKFLOW_ID), 'BadRequestException', 400, "at 'DomainName'");
        await expectAwsError(get('d'.repeat(65), UNKNOWN_WORKFLOW_ID), 'BadRequestException', 400, "at 'DomainName'");
        // 64 characters pass validation: the domain is then looked for, and not found.
        await expectAwsError(get('d'.repeat(64), UNKNOWN_WORKFLOW_ID), 'ResourceNotFoundException', 404, 'd'.repeat(64));
      });
    });

    describe('behaviour', () => {
      test('an unknown well-formed WorkflowId is a ResourceNotFoundException naming it', async () => {
        const env = await setupWorkflowEnv(s, 'gw-404');
        await expectAwsError(get(env.domain, UNKNOWN_WORKFLOW_ID), 'ResourceNotFoundException', 404, UNKNOWN_WORKFLOW_ID);
      });

      test('a domain that does not exist is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(get('gw-no-domain', UNKNOWN_WORKFLOW_ID), 'ResourceNotFoundException', 404, 'gw-no-domain');
      });

      test('a workflow is found only in its own domain', async () => {
        const env = await setupWorkflowEnv(s, 'gw-dom-a');
        await s.client.send(new CreateDomainCommand({ DomainName: 'gw-dom-b', DefaultExpirationDays: 1 }));
        const id = await createWorkflow(s.client, { env });
        await expectAwsError(get('gw-dom-b', id), 'ResourceNotFoundException', 404, id);
      });

      test('while it runs, RecordsProcessed grows page by page and StepsCompleted follows the steps', async (t) => {
        const clock = new ManualClock(created);
        const s = await startServer(backend, { clock, engine: { pageSize: PAGE_SIZE } });
        t.after(() => s.close());
        const get = (domain: string, id: string) => s.client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId: id }));
        const env = await setupWorkflowEnv(s, 'gw-run');
        const start = Date.UTC(2025, 3, 1);
        const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(start, 1, 1) });
        const startedAt = clock.now() + 1000;
        const seen: [string | undefined, number | undefined, number | undefined][] = [];
        let lastUpdated = 0;
        for (let page = 1; page <= 4; page++) {
          clock.advance(1000);
          await s.engine.advance({ pages: 1 });
          const out = await get(env.domain, id);
          const m = out.Metrics?.AppflowIntegration;
          seen.push([out.Status, m?.RecordsProcessed, m?.StepsCompleted]);
          assert.equal(m?.TotalSteps, 2);
          assert.equal(out.StartDate?.getTime(), startedAt, 'StartDate is when the first step started');
          assert.equal(out.LastUpdatedAt?.getTime(), clock.now(), 'LastUpdatedAt moves with every page');
          assert.ok(out.LastUpdatedAt!.getTime() > lastUpdated);
          lastUpdated = out.LastUpdatedAt!.getTime();
        }
        assert.deepEqual(seen, [
          ['IN_PROGRESS', 12, 0],
          ['IN_PROGRESS', 24, 1],
          ['IN_PROGRESS', 36, 1],
          ['COMPLETE', 48, 2],
        ]);
      });

      test('after running to the end: COMPLETE, every step completed, exactly the records of the windows', async (t) => {
        const s = await startServer(backend, { clock: new ManualClock(created), engine: { pageSize: PAGE_SIZE } });
        t.after(() => s.close());
        const get = (domain: string, id: string) => s.client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId: id }));
        const env = await setupWorkflowEnv(s, 'gw-done');
        // 3 + 2 days back to back, plus a half day that starts off the hour: [06:30, 18:30) holds 12 hourly records.
        const start = Date.UTC(2025, 4, 1);
        const batches = [
          ...consecutiveBatches(start, 3, 2),
          { StartTime: new Date(start + 10 * DAY_MS + 6.5 * 3_600_000), EndTime: new Date(start + 10 * DAY_MS + 18.5 * 3_600_000) },
        ];
        const id = await createWorkflow(s.client, { env, Batches: batches });
        await s.engine.runUntilIdle();
        const out = await get(env.domain, id);
        assert.equal(out.Status, 'COMPLETE');
        assert.equal(out.ErrorDescription, undefined);
        assert.deepEqual(out.Metrics?.AppflowIntegration, {
          RecordsProcessed: RECORDS_PER_DAY * 5 + 12,
          StepsCompleted: 3,
          TotalSteps: 3,
        });
        const { steps } = await allSteps(s.client, env.domain, id);
        assert.deepEqual(
          steps.map((st) => st.RecordsProcessed),
          [72, 48, 12],
        );
      });

      test('a permanently failing source makes it FAILED with an ErrorDescription naming the step', async (t) => {
        const s = await startServer(backend, { clock: new ManualClock(created), engine: { pageSize: PAGE_SIZE } });
        t.after(() => s.close());
        const get = (domain: string, id: string) => s.client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId: id }));
        const env = await setupWorkflowEnv(s, 'gw-fail', { faults: [{ page: 1, kind: 'permanent' }] });
        const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 6, 1), 1, 1) });
        await s.engine.runUntilIdle();
        const out = await get(env.domain, id);
        assert.equal(out.Status, 'FAILED');
        const description = out.ErrorDescription ?? '';
        assert.ok(description.length >= 1 && description.length <= 255, `ErrorDescription length ${description.length}`);
        const { steps } = await allSteps(s.client, env.domain, id);
        assert.ok(description.includes(steps[0].FlowName!), `'${description}' names step ${steps[0].FlowName}`);
        assert.deepEqual(out.Metrics?.AppflowIntegration, { RecordsProcessed: 0, StepsCompleted: 0, TotalSteps: 2 });
      });

      test('deleted mid-run: CANCELLED with its metrics and the deletion time until the engine purges it, then a 404', async (t) => {
        const clock = new ManualClock(created);
        const s = await startServer(backend, { clock, engine: { pageSize: PAGE_SIZE } });
        t.after(() => s.close());
        const get = (domain: string, id: string) => s.client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId: id }));
        const env = await setupWorkflowEnv(s, 'gw-deleted');
        const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(Date.UTC(2025, 6, 1), 1, 1) });
        await s.engine.advance({ pages: 1 });
        clock.advance(60_000);
        await s.client.send(new DeleteWorkflowCommand({ DomainName: env.domain, WorkflowId: id }));
        const out = await get(env.domain, id);
        assert.equal(out.Status, 'CANCELLED');
        assert.equal(out.LastUpdatedAt?.getTime(), clock.now(), 'LastUpdatedAt is the deletion');
        assert.deepEqual(out.Metrics?.AppflowIntegration, { RecordsProcessed: PAGE_SIZE, StepsCompleted: 0, TotalSteps: 2 }, 'what it did stays readable');
        await s.engine.advance({ pages: 1 });
        await expectAwsError(get(env.domain, id), 'ResourceNotFoundException', 404, id);
      });

      test('another account or another region does not see the workflow', async () => {
        const env = await setupWorkflowEnv(s, 'gw-iso');
        const id = await createWorkflow(s.client, { env });
        const otherAccount = s.clientFor({ accountId: '111122223333' });
        // Even with a domain and object type of the same names there.
        await otherAccount.send(new CreateDomainCommand({ DomainName: env.domain, DefaultExpirationDays: 1 }));
        await putObjectType(otherAccount, env.domain);
        await expectAwsError(
          otherAccount.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id })),
          'ResourceNotFoundException',
          404,
          id,
        );
        await expectAwsError(
          s.clientFor({ region: 'eu-west-1' }).send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id })),
          'ResourceNotFoundException',
          404,
        );
        assert.equal((await get(env.domain, id)).WorkflowId, id);
      });
    });
  });
}
