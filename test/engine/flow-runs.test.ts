/**
 * Ongoing updates run for real: a completed integration workflow's flow runs on its schedule over the
 * `files` source, driven by a manual clock and the manual engine; StartFlow, StopFlow,
 * CancelFlowExecutions and DescribeFlowExecutionRecords through the official AppFlow client.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  CreateIntegrationWorkflowCommand,
  DeleteIntegrationCommand,
  GetDomainCommand,
  DeleteDomainCommand,
  GetWorkflowCommand,
  ListProfileHistoryRecordsCommand,
  SearchProfilesCommand,
  ListWorkflowsCommand,
  PutProfileObjectTypeCommand,
} from '@aws-sdk/client-customer-profiles';
import {
  CreateFlowCommand,
  DeleteFlowCommand,
  DescribeFlowCommand,
  DescribeFlowExecutionRecordsCommand,
  ListFlowsCommand,
  StartFlowCommand,
  StopFlowCommand,
  type AppflowClient,
} from '@aws-sdk/client-appflow';
import { ManualClock } from '../../src/engine/clock.js';
import { KyselyFlowRunRepository } from '../../src/store/repositories/flow-runs.js';
import { availableBackends } from '../helpers/backends.js';
import { appflowClient } from '../helpers/appflow.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';
import { uniqueProfileName } from '../helpers/workflows.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

for (const backend of await availableBackends()) {
  describe(`flow runs [${backend}]`, () => {
    let s: TestServer;
    let af: AppflowClient;
    let clock: ManualClock;
    let dir: string;
    let counter = 0;
    before(async () => {
      clock = new ManualClock(T0);
      s = await startServer(backend, { clock });
      af = appflowClient(s.url);
      dir = await mkdtemp(join(tmpdir(), 'pf-runs-'));
    });
    after(async () => {
      af.destroy();
      await s.close();
      await rm(dir, { recursive: true, force: true });
    });

    /** Appends records to the source, one per time given, ids `${prefix}-n`. */
    async function addRecords(object: string, prefix: string, times: number[]): Promise<void> {
      await mkdir(join(dir, object), { recursive: true });
      const lines = times.map((t, i) => JSON.stringify({ Id: `${prefix}-${i}`, email: `${prefix}-${i}@example.com`, LastModifiedDate: new Date(t).toISOString() }));
      await appendFile(join(dir, object, `${prefix}.jsonl`), `${lines.join('\n')}\n`);
    }

    /** A domain with an object type, and a files connector profile over `dir`. */
    async function env(domain: string): Promise<string> {
      await s.client.send(new CreateDomainCommand({ DomainName: domain, DefaultExpirationDays: 30 }));
      await s.client.send(
        new PutProfileObjectTypeCommand({
          DomainName: domain,
          ObjectTypeName: 'Contact',
          Description: 'contacts',
          AllowProfileCreation: true,
          Fields: {
            Id: { Source: '_source.Id', Target: '_custom.Id', ContentType: 'STRING' },
            email: { Source: '_source.email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' },
          },
          Keys: { Id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }] },
        }),
      );
      const profile = uniqueProfileName('files');
      const put = await fetch(`${s.url}/_profileflow/connector-profiles/${profile}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'files', connectorTypes: ['Salesforce'], settings: { directory: dir } }),
      });
      assert.equal(put.status, 201, await put.text());
      return profile;
    }

    const tasks = ['Id', 'email'].map((f) => ({ TaskType: 'Map' as const, SourceFields: [f], DestinationField: f, ConnectorOperator: { Salesforce: 'NO_OP' as const } }));

    async function objectCount(domain: string): Promise<number> {
      return (await s.client.send(new GetDomainCommand({ DomainName: domain }))).Stats?.ObjectCount ?? 0;
    }

    /** The StatusDescription ListWorkflows gives the domain's one workflow. */
    async function statusText(domain: string): Promise<string> {
      const { Items } = await s.client.send(new ListWorkflowsCommand({ DomainName: domain }));
      assert.equal(Items?.length, 1);
      return Items![0].StatusDescription ?? '';
    }

    /** An OnDemand flow reading `object` of the files source into the domain's Contact type. */
    async function onDemandFlow(flowName: string, profile: string, domainName: string, object: string): Promise<void> {
      await af.send(
        new CreateFlowCommand({
          flowName,
          triggerConfig: { triggerType: 'OnDemand' },
          sourceFlowConfig: { connectorType: 'Salesforce', connectorProfileName: profile, sourceConnectorProperties: { Salesforce: { object } } },
          destinationFlowConfigList: [{ connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName, objectTypeName: 'Contact' } } }],
          tasks: ['Id', 'email'].map((f) => ({ taskType: 'Map', sourceFields: [f], destinationField: f, connectorOperator: { Salesforce: 'NO_OP' } })),
        }),
      );
    }

    async function runs(flowName: string) {
      return (await af.send(new DescribeFlowExecutionRecordsCommand({ flowName }))).flowExecutions ?? [];
    }

    /** A workflow loading history [T0-2d, T0) then ongoing hourly updates; returns the flow name. */
    async function scheduledWorkflow(
      domain: string,
      object: string,
      dataPullMode: 'Incremental' | 'Complete' = 'Incremental',
      flowName = `ongoing-${++counter}`,
      scheduleStartTime?: Date,
    ): Promise<string> {
      const profile = await env(domain);
      const { WorkflowId } = await s.client.send(
        new CreateIntegrationWorkflowCommand({
          DomainName: domain,
          WorkflowType: 'APPFLOW_INTEGRATION',
          ObjectTypeName: 'Contact',
          RoleArn: 'arn:aws:iam::123456789012:role/ingest',
          IntegrationConfig: {
            AppflowIntegration: {
              FlowDefinition: {
                FlowName: flowName,
                KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/abcd-1234',
                SourceFlowConfig: { ConnectorType: 'Salesforce', ConnectorProfileName: profile, SourceConnectorProperties: { Salesforce: { Object: object } } },
                Tasks: tasks,
                TriggerConfig: {
                  TriggerType: 'Scheduled',
                  TriggerProperties: { Scheduled: { ScheduleExpression: 'rate(1hours)', DataPullMode: dataPullMode, ScheduleStartTime: scheduleStartTime } },
                },
              },
              Batches: [{ StartTime: new Date(T0 - 48 * HOUR), EndTime: new Date(clock.now()) }],
            },
          },
        }),
      );
      await s.engine.runUntilIdle();
      const w = await s.client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId }));
      assert.equal(w.Status, 'COMPLETE');
      return flowName;
    }

    test("the workflow's ScheduleStartTime anchors its ongoing flow's ticks, and DescribeFlow shows it", async () => {
      clock.set(T0);
      const start = new Date(T0 - 30 * 60_000);
      await addRecords('Anchored', 'a', [T0 - 2 * HOUR]);
      const flowName = await scheduledWorkflow('anchored', 'Anchored', 'Incremental', undefined, start);
      const described = await af.send(new DescribeFlowCommand({ flowName }));
      assert.equal(described.triggerConfig?.triggerProperties?.Scheduled?.scheduleStartTime?.getTime(), start.getTime());
      assert.equal(await statusText('anchored'), 'Complete: 1 of 1 step complete, 1 record processed; ongoing updates every hour, next run at 2026-01-01T00:30:00.000Z.');
    });

    test('a completed workflow runs on its schedule: the next tick ingests exactly the new records, listed as Successful', async () => {
      clock.set(T0);
      await addRecords('Hist', 'old', [T0 - 30 * HOUR, T0 - 2 * HOUR]);
      const flowName = await scheduledWorkflow('ongoing', 'Hist');
      assert.equal(await objectCount('ongoing'), 2);
      const described = await af.send(new DescribeFlowCommand({ flowName }));
      assert.equal(described.flowStatus, 'Active');
      assert.equal(await statusText('ongoing'), 'Complete: 1 of 1 step complete, 2 records processed; ongoing updates every hour, next run at 2026-01-01T01:00:00.000Z.');

      // New records arrive after the history; nothing runs before the tick.
      await addRecords('Hist', 'new', [T0 + 10 * 60_000, T0 + 20 * 60_000, T0 + 30 * 60_000]);
      clock.set(T0 + 30 * 60_000);
      await s.engine.runUntilIdle();
      assert.equal((await runs(flowName)).length, 0, 'no run before the first tick');

      clock.set(T0 + HOUR + 1000);
      await s.engine.runUntilIdle();
      assert.equal(await objectCount('ongoing'), 5, 'exactly the three new records were added');
      const [run] = await runs(flowName);
      assert.equal(run?.executionStatus, 'Successful');
      assert.equal(run?.executionResult?.recordsProcessed, 3);
      assert.equal(run?.dataPullStartTime?.getTime(), T0, 'the first window starts where the history ended');
      assert.equal(run?.dataPullEndTime?.getTime(), T0 + HOUR);
      const after = await af.send(new DescribeFlowCommand({ flowName }));
      assert.equal(after.lastRunExecutionDetails?.mostRecentExecutionStatus, 'Successful');
      // Each profile's history names what ingested it: the workflow's step for the history, the run after.
      const performers = async (email: string) => {
        const found = await s.client.send(new SearchProfilesCommand({ DomainName: 'ongoing', KeyName: '_email', Values: [email] }));
        const ProfileId = found.Items?.[0]?.ProfileId;
        assert.ok(ProfileId, `a profile for ${email}`);
        const history = await s.client.send(new ListProfileHistoryRecordsCommand({ DomainName: 'ongoing', ProfileId, ActionType: 'INGESTED' }));
        return history.ProfileHistoryRecords?.map((r) => r.PerformedBy);
      };
      const [{ WorkflowId }] = (await s.client.send(new ListWorkflowsCommand({ DomainName: 'ongoing' }))).Items ?? [];
      assert.deepEqual(await performers('old-0@example.com'), [`appflow.amazonaws.com/workflows/${WorkflowId}/steps/1`]);
      assert.deepEqual(await performers('new-0@example.com'), [`appflow.amazonaws.com/flows/${flowName}/executions/${run?.executionId}`]);
      const listed = (await af.send(new ListFlowsCommand({}))).flows?.find((f) => f.flowName === flowName);
      assert.deepEqual(listed?.lastRunExecutionDetails, after.lastRunExecutionDetails, 'ListFlows shows the same last run');

      // Missed ticks (the process away for five hours) run once, from the watermark.
      await addRecords('Hist', 'later', [T0 + 2 * HOUR]);
      clock.set(T0 + 6 * HOUR + 1000);
      await s.engine.runUntilIdle();
      const all = await runs(flowName);
      assert.equal(all.length, 2, 'five missed ticks ran once');
      assert.equal(all[0]?.dataPullStartTime?.getTime(), T0 + HOUR);
      assert.equal(all[0]?.dataPullEndTime?.getTime(), T0 + 6 * HOUR);
      assert.equal(all[0]?.executionResult?.recordsProcessed, 1);
      assert.equal(await objectCount('ongoing'), 6);

      // Pages of DescribeFlowExecutionRecords: newest first, one per page.
      const first = await af.send(new DescribeFlowExecutionRecordsCommand({ flowName, maxResults: 1 }));
      assert.equal(first.flowExecutions?.[0]?.executionId, all[0]?.executionId);
      const second = await af.send(new DescribeFlowExecutionRecordsCommand({ flowName, maxResults: 1, nextToken: first.nextToken }));
      assert.equal(second.flowExecutions?.[0]?.executionId, all[1]?.executionId);
      assert.equal(second.nextToken, undefined);

      // StopFlow: no further runs; StartFlow activates it again.
      assert.match(await statusText('ongoing'), /; ongoing updates every hour, next run at 2026-01-01T07:00:00\.000Z\.$/);
      const stopped = await af.send(new StopFlowCommand({ flowName }));
      assert.equal(stopped.flowStatus, 'Suspended');
      assert.match(await statusText('ongoing'), /; ongoing updates stopped\.$/);
      clock.set(T0 + 9 * HOUR);
      await s.engine.runUntilIdle();
      assert.equal((await runs(flowName)).length, 2, 'a stopped flow does not run');
      const started = await af.send(new StartFlowCommand({ flowName }));
      assert.equal(started.flowStatus, 'Active');
      assert.equal(started.executionId, undefined, 'a scheduled flow is activated, not run');
      clock.set(T0 + 10 * HOUR + 1000);
      await s.engine.runUntilIdle();
      assert.equal((await runs(flowName)).length, 3, 'runs again an hour after re-activation');
    });

    test('a deleted flow takes its runs with it: DeleteFlow, DeleteIntegration, DeleteDomain', async () => {
      const scope = { accountId: '000000000000', region: 'us-east-1' };
      clock.set(T0);
      // DeleteDomain, then a new domain whose workflow names the same flow: it starts with no runs.
      await addRecords('Gone', 'g', [T0 - HOUR, T0 + 10 * 60_000]);
      await scheduledWorkflow('gone', 'Gone', 'Incremental', 'reused-flow');
      clock.set(T0 + HOUR + 1000);
      await s.engine.runUntilIdle();
      assert.equal((await runs('reused-flow')).length, 1);
      await s.client.send(new DeleteDomainCommand({ DomainName: 'gone' }));
      assert.deepEqual(await s.store.flowRuns.list(scope, 'reused-flow', undefined, 10), []);
      await assert.rejects(af.send(new DescribeFlowCommand({ flowName: 'reused-flow' })), (e: Error) => e.name === 'ResourceNotFoundException');
      clock.set(T0 + 2 * HOUR);
      await scheduledWorkflow('gone2', 'Gone', 'Incremental', 'reused-flow');
      assert.deepEqual(await runs('reused-flow'), [], 'the new flow of the same name lists none of the old runs');
      assert.match(await statusText('gone2'), /ongoing updates every hour, next run at 2026-01-01T03:00:00\.000Z\.$/);

      // DeleteIntegration: the flow and its runs go.
      clock.set(T0 + 3 * HOUR + 1000);
      await s.engine.runUntilIdle();
      assert.equal((await runs('reused-flow')).length, 1);
      await s.client.send(new DeleteIntegrationCommand({ DomainName: 'gone2', Uri: 'arn:aws:appflow:us-east-1:000000000000:flow/reused-flow' }));
      assert.deepEqual(await s.store.flowRuns.list(scope, 'reused-flow', undefined, 10), []);
      assert.match(await statusText('gone2'), /; ongoing updates stopped\.$/);

      // DeleteFlow (an AppFlow flow run on demand), then CreateFlow of the same name.
      const profile = await env('gone3');
      const create = () =>
        af.send(
          new CreateFlowCommand({
            flowName: 'reused-flow',
            triggerConfig: { triggerType: 'OnDemand' },
            sourceFlowConfig: { connectorType: 'Salesforce', connectorProfileName: profile, sourceConnectorProperties: { Salesforce: { object: 'Gone' } } },
            destinationFlowConfigList: [{ connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName: 'gone3', objectTypeName: 'Contact' } } }],
            tasks: ['Id', 'email'].map((f) => ({ taskType: 'Map', sourceFields: [f], destinationField: f, connectorOperator: { Salesforce: 'NO_OP' } })),
          }),
        );
      await create();
      await af.send(new StartFlowCommand({ flowName: 'reused-flow' }));
      await s.engine.runUntilIdle();
      assert.equal((await runs('reused-flow'))[0]?.executionStatus, 'Successful');
      await af.send(new DeleteFlowCommand({ flowName: 'reused-flow' }));
      await create();
      assert.deepEqual(await runs('reused-flow'), []);
    });

    test('an Event flow runs on each signal: the operator route stands in for the source change event', async () => {
      clock.set(T0);
      const profile = await env('evented');
      await addRecords('Ev', 'e', [T0 - HOUR, T0 + HOUR]);
      await af.send(
        new CreateFlowCommand({
          flowName: 'ev',
          triggerConfig: { triggerType: 'Event' },
          sourceFlowConfig: { connectorType: 'Salesforce', connectorProfileName: profile, sourceConnectorProperties: { Salesforce: { object: 'Ev' } } },
          destinationFlowConfigList: [{ connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName: 'evented', objectTypeName: 'Contact' } } }],
          tasks: ['Id', 'email'].map((f) => ({ taskType: 'Map', sourceFields: [f], destinationField: f, connectorOperator: { Salesforce: 'NO_OP' } })),
        }),
      );
      const signal = async (flowName: string, account = '000000000000') => {
        const res = await fetch(`${s.url}/_profileflow/flows/${account}/us-east-1/${flowName}/signal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), body: (await res.json()) as Record<string, string> };
      };
      const draft = await signal('ev');
      assert.equal(draft.status, 409, 'a Draft flow takes no signal');
      assert.match(draft.body.Message ?? '', /Draft, not Active/);
      await af.send(new StartFlowCommand({ flowName: 'ev' }));
      clock.set(T0 + 2 * HOUR);
      const first = await signal('ev');
      assert.equal(first.status, 202);
      assert.ok(first.body.executionId);
      assert.equal(first.body.flowArn, 'arn:aws:appflow:us-east-1:000000000000:flow/ev');
      const busy = await signal('ev');
      assert.equal(busy.status, 409, 'a second signal while the run is active');
      assert.equal(busy.errorType, 'ConflictException');
      await s.engine.runUntilIdle();
      const [run] = await runs('ev');
      assert.equal(run?.executionId, first.body.executionId);
      assert.equal(run?.executionStatus, 'Successful');
      assert.equal(run?.executionResult?.recordsProcessed, 1, 'the record after activation');
      assert.equal(run?.dataPullEndTime?.getTime(), T0 + 2 * HOUR);
      // The next signal reads from where that run ended.
      await addRecords('Ev', 'f', [T0 + 3 * HOUR]);
      clock.set(T0 + 4 * HOUR);
      const second = await signal('ev');
      assert.equal(second.status, 202);
      await s.engine.runUntilIdle();
      const after = await runs('ev');
      assert.equal(after[0]?.dataPullStartTime?.getTime(), T0 + 2 * HOUR);
      assert.equal(after[0]?.executionResult?.recordsProcessed, 1);

      const missing = await signal('no-such-flow');
      assert.equal(missing.status, 404);
      assert.equal(missing.errorType, 'ResourceNotFoundException');
      const otherAccount = await signal('ev', '111111111111');
      assert.equal(otherAccount.status, 404, 'flows are per account');
      await af.send(
        new CreateFlowCommand({
          flowName: 'not-evented',
          triggerConfig: { triggerType: 'OnDemand' },
          sourceFlowConfig: { connectorType: 'Salesforce', connectorProfileName: profile, sourceConnectorProperties: { Salesforce: { object: 'Ev' } } },
          destinationFlowConfigList: [{ connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName: 'evented', objectTypeName: 'Contact' } } }],
          tasks: ['Id', 'email'].map((f) => ({ taskType: 'Map', sourceFields: [f], destinationField: f, connectorOperator: { Salesforce: 'NO_OP' } })),
        }),
      );
      const onDemand = await signal('not-evented');
      assert.equal(onDemand.status, 400);
      assert.match(onDemand.body.Message ?? '', /not Event/);
      const badAccount = await signal('ev', '12');
      assert.equal(badAccount.status, 400);
    });

    test('an Event flow whose name has the 256 characters AppFlow allows takes signals too', async () => {
      clock.set(T0);
      const profile = await env('evented-long');
      await addRecords('EvLong', 'l', [T0 + HOUR]);
      const flowName = `e${'v'.repeat(255)}`;
      await af.send(
        new CreateFlowCommand({
          flowName,
          triggerConfig: { triggerType: 'Event' },
          sourceFlowConfig: { connectorType: 'Salesforce', connectorProfileName: profile, sourceConnectorProperties: { Salesforce: { object: 'EvLong' } } },
          destinationFlowConfigList: [{ connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName: 'evented-long', objectTypeName: 'Contact' } } }],
          tasks: ['Id', 'email'].map((f) => ({ taskType: 'Map', sourceFields: [f], destinationField: f, connectorOperator: { Salesforce: 'NO_OP' } })),
        }),
      );
      await af.send(new StartFlowCommand({ flowName }));
      clock.set(T0 + 2 * HOUR);
      const res = await fetch(`${s.url}/_profileflow/flows/000000000000/us-east-1/${flowName}/signal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 202, `${res.headers.get('x-amzn-errortype')}: ${await res.clone().text()}`);
      const { executionId } = (await res.json()) as { executionId: string };
      await s.engine.runUntilIdle();
      const [run] = await runs(flowName);
      assert.equal(run?.executionId, executionId);
      assert.equal(run?.executionStatus, 'Successful');
      // One past the model's length is still the route's to refuse, in its own words.
      const tooLong = await fetch(`${s.url}/_profileflow/flows/000000000000/us-east-1/${flowName}v/signal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(tooLong.status, 400);
      const message = ((await tooLong.json()) as { Message: string }).Message;
      assert.ok(message.startsWith(`flowName ${JSON.stringify(`${flowName}v`.slice(0, 64))} must be 2 to 256 characters`), message);
      // So is a name as long as a request line can carry.
      const huge = `e${'v'.repeat(15_000)}`;
      const hugeRes = await fetch(`${s.url}/_profileflow/flows/000000000000/us-east-1/${huge}/signal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(hugeRes.status, 400);
      const hugeMessage = ((await hugeRes.json()) as { Message: string }).Message;
      assert.ok(hugeMessage.startsWith(`flowName ${JSON.stringify(huge.slice(0, 64))} must be 2 to 256 characters`), hugeMessage);
    });

    test('DeleteIntegration stops further runs', async () => {
      clock.set(T0);
      await addRecords('Del', 'a', [T0 - HOUR]);
      const flowName = await scheduledWorkflow('deleting', 'Del');
      const uri = `arn:aws:appflow:us-east-1:000000000000:flow/${flowName}`;
      await s.client.send(new DeleteIntegrationCommand({ DomainName: 'deleting', Uri: uri }));
      clock.set(T0 + 3 * HOUR);
      await s.engine.runUntilIdle();
      assert.equal(await s.store.flowRuns.flowStillRuns({ accountId: '000000000000', region: 'us-east-1' }, flowName), false);
      assert.deepEqual(await s.store.flowRuns.list({ accountId: '000000000000', region: 'us-east-1' }, flowName, undefined, 10), []);
    });

    test('Complete reads the whole source each run; records seen again replace their objects', async () => {
      clock.set(T0);
      await addRecords('Full', 'f', [T0 - 3 * HOUR]);
      const flowName = await scheduledWorkflow('complete', 'Full', 'Complete');
      clock.set(T0 + HOUR + 1);
      await s.engine.runUntilIdle();
      const [run] = await runs(flowName);
      assert.equal(run?.dataPullStartTime?.getTime(), 0);
      assert.equal(run?.executionResult?.recordsProcessed, 1, 'the old record is read again');
      assert.equal(await objectCount('complete'), 1, 'and replaces its object');
    });

    test('an OnDemand flow runs only on StartFlow, incrementally from its last run', async () => {
      clock.set(T0);
      const profile = await env('ondemand');
      await addRecords('Od', 'o', [T0 - HOUR, T0 + HOUR]);
      await af.send(
        new CreateFlowCommand({
          flowName: 'od',
          triggerConfig: { triggerType: 'OnDemand' },
          sourceFlowConfig: { connectorType: 'Salesforce', connectorProfileName: profile, sourceConnectorProperties: { Salesforce: { object: 'Od' } } },
          destinationFlowConfigList: [{ connectorType: 'CustomerProfiles', destinationConnectorProperties: { CustomerProfiles: { domainName: 'ondemand', objectTypeName: 'Contact' } } }],
          tasks: ['Id', 'email'].map((f) => ({ taskType: 'Map', sourceFields: [f], destinationField: f, connectorOperator: { Salesforce: 'NO_OP' } })),
        }),
      );
      clock.set(T0 + 5 * HOUR);
      await s.engine.runUntilIdle();
      assert.equal((await runs('od')).length, 0, 'no run without StartFlow');
      const started = await af.send(new StartFlowCommand({ flowName: 'od' }));
      assert.ok(started.executionId);
      await s.engine.runUntilIdle();
      const [run] = await runs('od');
      assert.equal(run?.executionId, started.executionId);
      assert.equal(run?.executionStatus, 'Successful');
      assert.equal(run?.dataPullStartTime?.getTime(), T0, 'the first run starts at activation');
      assert.equal(run?.executionResult?.recordsProcessed, 1);
      await assert.rejects(af.send(new StopFlowCommand({ flowName: 'od' })), (e: Error) => e.name === 'UnsupportedOperationException');
    });

    test('a run whose stored object type cannot map records ends in Error once, naming the problem, and is not run again', async () => {
      clock.set(T0);
      const profile = await env('unmappable');
      await addRecords('Um', 'u', [T0 + HOUR]);
      await onDemandFlow('um', profile, 'unmappable', 'Um');
      // Written straight to the store: PutProfileObjectType refuses a key naming an undefined field.
      const scope = { accountId: TEST_ACCOUNT, region: TEST_REGION };
      const stored = (await s.store.objectTypes.get(scope, 'unmappable', 'Contact'))!;
      await s.store.objectTypes.put(scope, 'unmappable', { ...stored, keys: { ...stored.keys, Broken: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Missing'] }] } });
      clock.set(T0 + 2 * HOUR);
      await af.send(new StartFlowCommand({ flowName: 'um' }));
      const ran = await s.engine.runUntilIdle();
      assert.deepEqual(ran.runs.map((r) => r.outcome), ['error'], 'run once, failed once');
      const [run] = await runs('um');
      assert.equal(run?.executionStatus, 'Error');
      // AppFlow's executionMessage pattern admits no ':' or ',' (executionMessage in run-runner.ts).
      assert.equal(run?.executionResult?.errorInfo?.executionMessage, 'Failed Objects of type Contact cannot be ingested Key Broken names the field Missing which is not defined in Fields.');
      assert.equal(await objectCount('unmappable'), 0);
      clock.set(T0 + 5 * HOUR);
      assert.deepEqual((await s.engine.runUntilIdle()).runs, [], 'never run again');
    });

    test('a run that keeps meeting an internal error is retried with back-off, then ends in Error without telling the tenant its internals', async () => {
      clock.set(T0);
      const profile = await env('internal-error');
      await addRecords('Ie', 'i', [T0 + HOUR]);
      await onDemandFlow('ie', profile, 'internal-error', 'Ie');
      const checkpoint = KyselyFlowRunRepository.prototype.checkpointPage;
      KyselyFlowRunRepository.prototype.checkpointPage = async () => {
        throw new TypeError('relation flow_runs_internal does not exist');
      };
      try {
        clock.set(T0 + 2 * HOUR);
        await af.send(new StartFlowCommand({ flowName: 'ie' }));
        for (const [i, delay] of [1000, 2000, 4000].entries()) {
          assert.deepEqual((await s.engine.runUntilIdle()).runs.map((r) => r.outcome), ['retry'], `attempt ${i + 1} is recorded as a retry`);
          clock.advance(delay);
        }
        assert.deepEqual((await s.engine.runUntilIdle()).runs.map((r) => r.outcome), ['error']);
      } finally {
        KyselyFlowRunRepository.prototype.checkpointPage = checkpoint;
      }
      const [run] = await runs('ie');
      assert.equal(run?.executionStatus, 'Error');
      assert.equal(run?.executionResult?.errorInfo?.executionMessage, 'Failed Failed after 3 retries the service met an internal error TypeError its log has the details.');
      assert.equal(await objectCount('internal-error'), 0);
    });
  });
}
