import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CreateDomainCommand, GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import type { FlowDefinition } from '../../src/api/shapes.generated.js';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';
import { consecutiveBatches, createWorkflow, DAY_MS, flowNameOf, HOUR_MS, OBJECT_TYPE, setupWorkflowEnv, UNKNOWN_WORKFLOW_ID } from '../helpers/workflows.js';
import { assertAwsError, type RawResponse, send } from './raw.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY0 = Date.UTC(2025, 0, 1);
const OTHER_ACCOUNT = '111111111111';
const scope = { accountId: TEST_ACCOUNT, region: TEST_REGION };
const LEASE = { leaseMs: 60_000 };

/** An Authorization header naming `accountId` as its access key: with authentication off, that is the caller's account. */
const asAccount = (accountId: string, region = TEST_REGION) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${accountId}/20260101/${region}/profile/aws4_request, SignedHeaders=host, Signature=00`,
});

interface StepAnswer {
  stepNo: number;
  status: string;
  recordsProcessed: number;
  batchRecordsStartTime: string;
  batchRecordsEndTime: string;
  readThrough?: string;
  recordsEstimate?: number;
  fraction?: number;
  basis?: string;
  expectedRecords?: number;
}

for (const backend of await availableBackends()) {
  describe(`GET /_profileflow/workflows/{domain}/{id}/progress [${backend}]`, () => {
    const clock = new ManualClock(T0);
    let s: TestServer;
    before(async () => {
      s = await startServer(backend, { clock, engine: { pageSize: 6 } });
    });
    after(() => s.close());

    const progress = (domain: string, id: string, query = '', headers: Record<string, string> = {}): Promise<RawResponse> =>
      send(s.url, 'GET', `/_profileflow/workflows/${domain}/${id}/progress${query}`, { headers });
    const steps = async (domain: string, id: string) => {
      const r = await progress(domain, id);
      assert.equal(r.status, 200, r.text);
      return (r.json as { steps: StepAnswer[] }).steps;
    };
    const shares = async (domain: string, id: string) => (await steps(domain, id)).map((p) => [p.status, p.fraction, p.basis, p.expectedRecords]);

    /** A workflow of three one-day steps written straight to the store, so each basis can be set up exactly. */
    async function storeWorkflow(domain: string): Promise<string> {
      const workflowId = randomBytes(16).toString('hex');
      const flowDefinition: FlowDefinition = {
        FlowName: 'progress-flow',
        KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
        SourceFlowConfig: { ConnectorType: 'Salesforce', ConnectorProfileName: 'p', SourceConnectorProperties: { Salesforce: { Object: 'Contact' } } },
        Tasks: [],
        TriggerConfig: { TriggerType: 'OnDemand' },
      };
      await s.store.workflows.create(
        scope,
        {
          workflowId,
          domainName: domain,
          workflowType: 'APPFLOW_INTEGRATION',
          status: 'NOT_STARTED',
          objectTypeName: OBJECT_TYPE,
          connectorType: 'Salesforce',
          connectorProfileName: 'p',
          roleArn: 'arn:aws:iam::123456789012:role/r',
          definition: { flowDefinition },
          recordsProcessed: 0,
          stepsCompleted: 0,
          totalSteps: 3,
          createdAt: T0,
          updatedAt: T0,
        },
        [0, 1, 2].map((i) => ({ windowStart: DAY0 + i * DAY_MS, windowEnd: DAY0 + (i + 1) * DAY_MS, executionMessage: 'waiting' })),
      );
      return workflowId;
    }

    test('a step read by the engine shows the share of its window read; the others their status; a finished workflow is full', async () => {
      const env = await setupWorkflowEnv(s, 'progress-run');
      const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(DAY0, 1, 1) });
      assert.deepEqual(await shares(env.domain, id), [
        ['NOT_STARTED', 0, 'step status', undefined],
        ['NOT_STARTED', 0, 'step status', undefined],
      ]);
      await s.engine.advance({ pages: 1 });
      const [first, second] = await steps(env.domain, id);
      const { flowName, ...rest } = first as StepAnswer & { flowName: string };
      assert.equal(flowName, `${flowNameOf(env.domain)}-${id}-1`);
      assert.deepEqual(rest, {
        stepNo: 1,
        status: 'IN_PROGRESS',
        recordsProcessed: 6,
        batchRecordsStartTime: new Date(DAY0).toISOString(),
        batchRecordsEndTime: new Date(DAY0 + DAY_MS).toISOString(),
        readThrough: new Date(DAY0 + 6 * HOUR_MS).toISOString(),
        recordsEstimate: 24,
        fraction: 0.25,
        basis: 'read position',
        lastUpdatedAt: new Date(clock.now()).toISOString(),
      });
      assert.equal(second.fraction, 0);
      const whole = (await progress(env.domain, id)).json as Record<string, unknown>;
      assert.deepEqual(
        { ...whole, steps: undefined },
        { accountId: TEST_ACCOUNT, region: TEST_REGION, domainName: env.domain, workflowId: id, status: 'IN_PROGRESS', recordsProcessed: 6, stepsCompleted: 0, totalSteps: 2, steps: undefined },
      );
      await s.engine.runUntilIdle();
      assert.deepEqual(await shares(env.domain, id), [
        ['COMPLETE', 1, 'step status', undefined],
        ['COMPLETE', 1, 'step status', undefined],
      ]);

      // GetWorkflowSteps keeps the model's shape: nothing of the read position leaks into it.
      const awsSteps = await send(s.url, 'GET', `/domains/${env.domain}/workflows/${id}/steps`);
      const item = (awsSteps.json as { Items: { AppflowIntegration: Record<string, unknown> }[] }).Items[0].AppflowIntegration;
      assert.deepEqual(Object.keys(item).sort(), ['BatchRecordsEndTime', 'BatchRecordsStartTime', 'CreatedAt', 'ExecutionMessage', 'FlowName', 'LastUpdatedAt', 'RecordsProcessed', 'Status']);
    });

    test('without a read position a step counts its records against the source\'s estimate, else against the completed steps\' density; FAILED is never full', async () => {
      await s.client.send(new CreateDomainCommand({ DomainName: 'progress-bases', DefaultExpirationDays: 30 }));
      const id = await storeWorkflow('progress-bases');
      const key = (stepNo: number) => ({ workflowId: id, stepNo });
      // Step 1: 48 records over its day, completed; the workflow's density is 48 a day.
      await s.store.workflows.claim({ owner: 'w', now: T0, ...LEASE });
      await s.store.workflows.checkpointPage({ owner: 'w', key: key(1), now: T0, ...LEASE, cursor: 'c', records: 48, dropped: 0, message: 'p' });
      await s.store.workflows.completeStep({ owner: 'w', key: key(1), now: T0, message: 'ok' });
      // Step 2: 12 records, and its source told nothing.
      await s.store.workflows.claim({ owner: 'w', now: T0, ...LEASE });
      await s.store.workflows.checkpointPage({ owner: 'w', key: key(2), now: T0, ...LEASE, cursor: 'c', records: 12, dropped: 0, message: 'p' });
      assert.deepEqual(await shares('progress-bases', id), [
        ['COMPLETE', 1, 'step status', undefined],
        ['IN_PROGRESS', 0.25, "completed steps' density", 48],
        ['NOT_STARTED', 0, 'step status', undefined],
      ]);
      // Its source's estimate of the window outranks the density of the others.
      await s.store.workflows.noteEstimate({ owner: 'w', key: key(2), now: T0, recordsEstimate: 30 });
      assert.deepEqual((await shares('progress-bases', id))[1], ['IN_PROGRESS', 0.4, 'source estimate', 30]);
      // More records than estimated: still not full.
      await s.store.workflows.checkpointPage({ owner: 'w', key: key(2), now: T0, ...LEASE, cursor: 'c', records: 30, dropped: 0, message: 'p' });
      assert.deepEqual((await shares('progress-bases', id))[1], ['IN_PROGRESS', 0.99, 'source estimate', 30]);
      // A read position outranks both.
      await s.store.workflows.checkpointPage({ owner: 'w', key: key(2), now: T0, ...LEASE, cursor: 'c', records: 0, dropped: 0, message: 'p', readThrough: DAY0 + DAY_MS + 18 * HOUR_MS });
      assert.deepEqual((await shares('progress-bases', id))[1], ['IN_PROGRESS', 0.75, 'read position', undefined]);
      // Read to its end, then failed: a FAILED step is never a full bar; the steps it stopped are CANCELLED at 0.
      await s.store.workflows.checkpointPage({ owner: 'w', key: key(2), now: T0, ...LEASE, cursor: 'c', records: 0, dropped: 0, message: 'p', readThrough: DAY0 + 2 * DAY_MS });
      await s.store.workflows.failStep({ owner: 'w', key: key(2), now: T0, message: 'Failed: x', errorDescription: 'x' });
      const after = await steps('progress-bases', id);
      assert.deepEqual(after.map((p) => [p.status, p.fraction, p.basis]), [
        ['COMPLETE', 1, 'step status'],
        ['FAILED', 0.99, 'read position'],
        ['CANCELLED', 0, "completed steps' density"],
      ]);
      assert.equal(after[1].readThrough, new Date(DAY0 + 2 * DAY_MS).toISOString());
      assert.equal(after[1].recordsEstimate, 30);
    });

    test('a step of a workflow with no completed step and no word from its source has no share, and says so by leaving fraction out', async () => {
      await s.client.send(new CreateDomainCommand({ DomainName: 'progress-unknown', DefaultExpirationDays: 30 }));
      const id = await storeWorkflow('progress-unknown');
      await s.store.workflows.claim({ owner: 'w', now: T0, ...LEASE });
      await s.store.workflows.checkpointPage({ owner: 'w', key: { workflowId: id, stepNo: 1 }, now: T0, ...LEASE, cursor: 'c', records: 500, dropped: 0, message: 'p' });
      const [first] = await steps('progress-unknown', id);
      assert.equal(first.status, 'IN_PROGRESS');
      assert.ok(!('fraction' in first) && !('basis' in first), JSON.stringify(first));
    });

    test('pages of steps: limit, then after the step number `next` names', async () => {
      await s.client.send(new CreateDomainCommand({ DomainName: 'progress-pages', DefaultExpirationDays: 30 }));
      const id = await storeWorkflow('progress-pages');
      const first = await progress('progress-pages', id, '?limit=2');
      assert.deepEqual((first.json as { steps: StepAnswer[] }).steps.map((p) => p.stepNo), [1, 2]);
      assert.equal((first.json as { next?: number }).next, 2);
      const rest = await progress('progress-pages', id, '?after=2&limit=2');
      assert.deepEqual((rest.json as { steps: StepAnswer[] }).steps.map((p) => p.stepNo), [3]);
      assert.equal((rest.json as { next?: number }).next, undefined);
      assertAwsError(await progress('progress-pages', id, '?limit=0'), 400, 'BadRequestException', 'limit must be a whole number from 1 to 1000');
      assertAwsError(await progress('progress-pages', id, '?after=x'), 400, 'BadRequestException', 'after must be a whole number');
    });

    test("another account's workflow, an unknown workflow and an unknown domain are ResourceNotFoundException, as GetWorkflow answers them", async () => {
      const env = await setupWorkflowEnv(s, 'progress-owned');
      const id = await createWorkflow(s.client, { env, Batches: consecutiveBatches(DAY0, 1) });
      assert.equal((await progress(env.domain, id, '', asAccount(TEST_ACCOUNT))).status, 200, 'its own account sees it');

      const other = s.clientFor({ accountId: OTHER_ACCOUNT });
      const fromAws = await expectAwsError(other.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id })), 'ResourceNotFoundException', 404);
      const fromRoute = assertAwsError(await progress(env.domain, id, '', asAccount(OTHER_ACCOUNT)), 404, 'ResourceNotFoundException');
      assert.equal(fromRoute, fromAws.message);
      // Even when the other account has a domain of that name.
      await other.send(new CreateDomainCommand({ DomainName: env.domain, DefaultExpirationDays: 30 }));
      assertAwsError(await progress(env.domain, id, '', asAccount(OTHER_ACCOUNT)), 404, 'ResourceNotFoundException', `Workflow ${id} was not found in domain ${env.domain}.`);
      // The same account in another region has none of it either.
      assertAwsError(await progress(env.domain, id, '', asAccount(TEST_ACCOUNT, 'eu-west-1')), 404, 'ResourceNotFoundException', `Domain ${env.domain} was not found.`);

      assertAwsError(await progress(env.domain, UNKNOWN_WORKFLOW_ID), 404, 'ResourceNotFoundException', `Workflow ${UNKNOWN_WORKFLOW_ID} was not found in domain ${env.domain}.`);
      assertAwsError(await progress('no-such-domain', id), 404, 'ResourceNotFoundException', 'Domain no-such-domain was not found.');
      assertAwsError(await progress(env.domain, 'not-an-id'), 400, 'BadRequestException', "Value 'not-an-id' at 'WorkflowId' failed to satisfy constraint");
      assertAwsError(await progress(env.domain, id, '?accountId=12'), 400, 'BadRequestException', 'accountId must be a 12-digit account id.');
    });
  });
}
