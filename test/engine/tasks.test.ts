import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CreateIntegrationWorkflowCommand,
  GetWorkflowCommand,
  ListProfileObjectsCommand,
  type Task,
} from '@aws-sdk/client-customer-profiles';
import { FilesConnector } from '../../src/connectors/files/files-connector.js';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { HOME } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { allSteps, FLOW, setupWorkflowEnv, uniqueProfileName, withMember, workflowRequest } from '../helpers/workflows.js';

/** Records of 2025-01-01, the day ONE_DAY_BATCH covers; each line is one record of the files source. */
const at = (hour: number) => `2025-01-01T${String(hour).padStart(2, '0')}:00:00.000Z`;
const CONTACTS = [
  { Id: 'C1', Email: 'ada@example.com', Phone: '+4722334455', Amount: 250, City: 'Oslo', Note: 'vip', LastModifiedDate: at(1) },
  { Id: 'C2', Email: 'alan@example.com', Phone: '+4722334466', Amount: 20, City: 'Bergen', LastModifiedDate: at(2) },
  { Id: 'C3', Email: 'grace@example.com', Phone: '+4722334477', Amount: '1200.50', City: 'Stockholm', LastModifiedDate: at(3) },
  { Id: 'C4', Email: null, Phone: '+4722334488', Amount: 500, City: 'Lyon', LastModifiedDate: at(4) },
  { Id: 'C5', Email: 'hedy@example.com', Phone: '+4722334499', Amount: 99.99, City: 'Vienna', LastModifiedDate: at(5) },
  { Id: 'C6', Email: 'linus@example.com', Phone: '+4722334400', Amount: 101, City: 'Helsinki', LastModifiedDate: at(6) },
];
const LEADS = [1, 2, 3, 4].map((h) => ({ Id: `L${h}`, Email: `lead${h}@example.com`, Amount: h, LastModifiedDate: at(h) }));
LEADS.push({ Id: 'L5', Email: 'lead5@example.com', Amount: 'n/a' as never, LastModifiedDate: at(5) });
LEADS.push({ Id: 'L6', Email: 'lead6@example.com', Amount: 6, LastModifiedDate: at(6) });

const SF = (op: string) => ({ Salesforce: op }) as Task['ConnectorOperator'];

for (const backend of await availableBackends()) {
  describe(`FlowDefinition tasks in a running workflow [${backend}]`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-tasks-'));
    let s: TestServer;
    const clock = new ManualClock(Date.UTC(2026, 0, 15));
    before(async () => {
      for (const [object, records] of [['Contact', CONTACTS], ['Lead', LEADS]] as const) {
        mkdirSync(join(dir, object));
        writeFileSync(join(dir, object, 'records.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      }
      // Two records a page, so that a flow stopped by a task has committed pages before the one it stops on.
      s = await startServer(backend, { clock, engine: { pageSize: 2 } });
    });
    after(async () => {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A domain, the Contact object type, and a files connector profile reading `dir`. */
    async function filesEnv(domain: string) {
      const env = await setupWorkflowEnv(s, domain);
      const profile = uniqueProfileName(`${domain}-files`);
      const response = await fetch(`${s.url}/_profileflow/connector-profiles/${encodeURIComponent(profile)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'files', connectorTypes: ['Salesforce'], settings: { directory: dir } }),
      });
      assert.ok(response.ok, `files connector profile: ${response.status} ${await response.text()}`);
      return { ...env, profile };
    }

    async function objectOf(domain: string, id: string): Promise<Record<string, unknown> | undefined> {
      const stored = await s.store.profileObjects.get(HOME, domain, 'Contact', id);
      if (!stored) return undefined;
      const out = await s.client.send(new ListProfileObjectsCommand({ DomainName: domain, ObjectTypeName: 'Contact', ProfileId: stored.profileId }));
      assert.equal(out.Items?.length, 1, `one object on the profile of ${id}`);
      return JSON.parse(out.Items![0].Object!);
    }

    test('a Filter and a Validate drop records; the ingested objects carry the projected, masked and renamed values; the drops are in ExecutionMessage', async () => {
      const env = await filesEnv('tasks-filter');
      const tasks: Task[] = [
        { TaskType: 'Filter', SourceFields: ['Id', 'Email', 'Phone', 'Amount', 'LastModifiedDate'], ConnectorOperator: SF('PROJECTION') },
        { TaskType: 'Filter', SourceFields: ['Amount'], ConnectorOperator: SF('GREATER_THAN'), TaskProperties: { DATA_TYPE: 'double', VALUE: '100' } },
        { TaskType: 'Validate', SourceFields: ['Email'], ConnectorOperator: SF('VALIDATE_NON_NULL'), TaskProperties: { VALIDATION_ACTION: 'DropRecord' } },
        { TaskType: 'Mask', SourceFields: ['Phone'], ConnectorOperator: SF('MASK_FIRST_N'), TaskProperties: { MASK_VALUE: '*', MASK_LENGTH: '8' } },
        { TaskType: 'Map', SourceFields: ['City'], ConnectorOperator: SF('NO_OP'), DestinationField: 'Town' },
      ];
      const out = await s.client.send(new CreateIntegrationWorkflowCommand(withMember(workflowRequest({ env }), `${FLOW}.Tasks`, tasks)));
      await s.engine.runUntilIdle();

      const wf = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: out.WorkflowId }));
      assert.equal(wf.Status, 'COMPLETE');
      assert.equal(wf.Metrics?.AppflowIntegration?.RecordsProcessed, 3, 'RecordsProcessed counts records ingested, not records read');
      const { steps } = await allSteps(s.client, env.domain, out.WorkflowId!);
      assert.equal(steps[0].Status, 'COMPLETE');
      assert.equal(steps[0].RecordsProcessed, 3);
      assert.match(steps[0].ExecutionMessage ?? '', /^Complete: ingested 3 records from .*; 3 dropped \(Filter GREATER_THAN on Amount: 2, Validate VALIDATE_NON_NULL on Email: 1\)\.$/);

      assert.deepEqual(await objectOf(env.domain, 'C1'), {
        Id: 'C1',
        Email: 'ada@example.com',
        Phone: '********455',
        Amount: 250,
        LastModifiedDate: at(1),
        Town: 'Oslo',
      });
      assert.deepEqual(await objectOf(env.domain, 'C3'), {
        Id: 'C3',
        Email: 'grace@example.com',
        Phone: '********477',
        Amount: '1200.50',
        LastModifiedDate: at(3),
        Town: 'Stockholm',
      });
      assert.equal((await objectOf(env.domain, 'C6'))?.Town, 'Helsinki');
      for (const dropped of ['C2', 'C4', 'C5']) assert.equal(await objectOf(env.domain, dropped), undefined, `${dropped} was dropped`);
    });

    test('a record the object type rejects is dropped and counted, and the rest of its page is still ingested', async () => {
      const env = await filesEnv('tasks-rejected');
      // Email travels as Id: C4, whose Email is null, has no UNIQUE key value, so the object type rejects it.
      const tasks: Task[] = [
        { TaskType: 'Filter', SourceFields: ['Email', 'LastModifiedDate'], ConnectorOperator: SF('PROJECTION') },
        { TaskType: 'Map', SourceFields: ['Email'], ConnectorOperator: SF('NO_OP'), DestinationField: 'Id' },
      ];
      const out = await s.client.send(new CreateIntegrationWorkflowCommand(withMember(workflowRequest({ env }), `${FLOW}.Tasks`, tasks)));
      await s.engine.runUntilIdle();
      const wf = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: out.WorkflowId }));
      assert.equal(wf.Status, 'COMPLETE');
      assert.equal(wf.Metrics?.AppflowIntegration?.RecordsProcessed, 5);
      const { steps } = await allSteps(s.client, env.domain, out.WorkflowId!);
      assert.match(steps[0].ExecutionMessage ?? '', /^Complete: ingested 5 records from .*; 1 dropped \(rejected by the object type: 1; first rejection: .+\)\.$/);
      const objects = await s.client.send(
        new ListProfileObjectsCommand({
          DomainName: env.domain,
          ObjectTypeName: 'Contact',
          ProfileId: (await s.store.profileObjects.get(HOME, env.domain, 'Contact', 'grace@example.com'))!.profileId,
        }),
      );
      assert.deepEqual(JSON.parse(objects.Items![0].Object!), { Id: 'grace@example.com', LastModifiedDate: at(3) });
    });

    test('Merges chained past what an object can hold drop the record, named in ExecutionMessage; a record whose object grew too long is rejected; the rest is ingested', async () => {
      // C1 alone has a Note ("vip", 3 characters): sixteen doublings make it 196,608 characters, a
      // seventeenth would make it 393,216, more than the 256,000 an object may hold.
      const doubling = (times: number): Task[] =>
        Array.from({ length: times }, () => ({ TaskType: 'Merge', SourceFields: ['Note'], ConnectorOperator: SF('NO_OP'), DestinationField: 'Note', TaskProperties: { CONCAT_FORMAT: '${Note}${Note}' } }));
      const dropped = await filesEnv('tasks-merge-bound');
      const out = await s.client.send(new CreateIntegrationWorkflowCommand(withMember(workflowRequest({ env: dropped }), `${FLOW}.Tasks`, doubling(17))));
      await s.engine.runUntilIdle();
      const wf = await s.client.send(new GetWorkflowCommand({ DomainName: dropped.domain, WorkflowId: out.WorkflowId }));
      assert.equal(wf.Status, 'COMPLETE');
      assert.equal(wf.Metrics?.AppflowIntegration?.RecordsProcessed, 5);
      const { steps } = await allSteps(s.client, dropped.domain, out.WorkflowId!);
      assert.match(steps[0].ExecutionMessage ?? '', /; 1 dropped \(Merge on Note: longer than 256000 characters: 1\)\.$/);
      assert.equal(await objectOf(dropped.domain, 'C1'), undefined);
      assert.equal((await objectOf(dropped.domain, 'C2'))?.City, 'Bergen');

      // Sixteen doublings fit in a field, but a copy beside it makes the object 393,000 characters long.
      const rejected = await filesEnv('tasks-object-bound');
      const copy: Task = { TaskType: 'Merge', SourceFields: ['Note'], ConnectorOperator: SF('NO_OP'), DestinationField: 'Copy', TaskProperties: { CONCAT_FORMAT: '${Note}' } };
      const second = await s.client.send(new CreateIntegrationWorkflowCommand(withMember(workflowRequest({ env: rejected }), `${FLOW}.Tasks`, [...doubling(16), copy])));
      await s.engine.runUntilIdle();
      const secondSteps = await allSteps(s.client, rejected.domain, second.WorkflowId!);
      assert.match(
        secondSteps.steps[0].ExecutionMessage ?? '',
        /; 1 dropped \(rejected by the object type: 1; first rejection: The object is 393\d{3} characters long as JSON: at most 256000 are accepted\.\)\.$/,
      );
      assert.equal(await objectOf(rejected.domain, 'C1'), undefined);
    });

    test('a record the tasks or the mapping throw on fails its page as an internal error: retried, then the step fails; the pages before it stay, nothing is skipped', async () => {
      const env = await filesEnv('tasks-unprocessable');
      const read = FilesConnector.prototype.read;
      // A record whose field throws when read: what a fault of the service's own meets in one record.
      FilesConnector.prototype.read = async function* (this: FilesConnector, request) {
        for await (const page of read.call(this, request)) {
          yield {
            ...page,
            records: page.records.map((r) =>
              r.Id === 'C3' ? Object.defineProperty({ ...r }, 'City', { enumerable: true, get: () => { throw new TypeError("Cannot read properties of undefined (reading 'length')"); } }) : r,
            ),
          };
        }
      };
      try {
        const out = await s.client.send(new CreateIntegrationWorkflowCommand(workflowRequest({ env })));
        for (const delay of [1000, 2000, 4000]) {
          assert.deepEqual((await s.engine.runUntilIdle()).steps.map((r) => r.outcome).slice(-1), ['retry']);
          clock.advance(delay);
        }
        assert.deepEqual((await s.engine.runUntilIdle()).steps.map((r) => r.outcome), ['failed']);
        const wf = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: out.WorkflowId }));
        assert.equal(wf.Status, 'FAILED');
        assert.equal(wf.Metrics?.AppflowIntegration?.RecordsProcessed, 2, 'the page before the record was committed, the record\'s page was not');
        assert.match(wf.ErrorDescription ?? '', /Failed after 3 retries: the service met an internal error \(TypeError\)/);
        assert.doesNotMatch(wf.ErrorDescription ?? '', /reading 'length'/);
        assert.equal(await objectOf(env.domain, 'C3'), undefined);
        assert.equal(await objectOf(env.domain, 'C4'), undefined, 'nothing after the record is skipped to');
      } finally {
        FilesConnector.prototype.read = read;
      }
    });

    test('a flow of many tasks reads smaller pages, so that one page costs what a page of ordinary records does; every record is still ingested', async () => {
      const env = await filesEnv('tasks-small-pages');
      // 600 Maps on top of the Contact type: more than twice what a record may cost, so the pages of 2 become pages of 1.
      const many: Task[] = Array.from({ length: 600 }, (_, i) => ({ TaskType: 'Map', SourceFields: ['City'], ConnectorOperator: SF('NO_OP'), DestinationField: `Copy${i}` }));
      const read = FilesConnector.prototype.read;
      const asked: number[] = [];
      FilesConnector.prototype.read = function (this: FilesConnector, request) {
        asked.push(request.pageSize);
        return read.call(this, request);
      };
      try {
        const out = await s.client.send(new CreateIntegrationWorkflowCommand(withMember(workflowRequest({ env }), `${FLOW}.Tasks`, many)));
        await s.engine.runUntilIdle();
        const wf = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: out.WorkflowId }));
        assert.equal(wf.Status, 'COMPLETE');
        assert.equal(wf.Metrics?.AppflowIntegration?.RecordsProcessed, 6);
      } finally {
        FilesConnector.prototype.read = read;
      }
      assert.deepEqual(asked, [1]);
    });

    test('a Validate with TerminateFlow fails the step at once, naming the task and the record, with no retry; earlier pages stay ingested', async () => {
      const env = await filesEnv('tasks-terminate');
      let request = withMember(workflowRequest({ env }), `${FLOW}.SourceFlowConfig.SourceConnectorProperties`, { Salesforce: { Object: 'Lead' } });
      request = withMember(request, `${FLOW}.Tasks`, [
        { TaskType: 'Map', SourceFields: ['Id'], ConnectorOperator: SF('NO_OP') },
        { TaskType: 'Validate', SourceFields: ['Amount'], ConnectorOperator: SF('VALIDATE_NUMERIC'), TaskProperties: { VALIDATION_ACTION: 'TerminateFlow' } },
      ]);
      const out = await s.client.send(new CreateIntegrationWorkflowCommand(request));
      await s.engine.runUntilIdle();

      const wf = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: out.WorkflowId }));
      assert.equal(wf.Status, 'FAILED');
      assert.match(wf.ErrorDescription ?? '', /Task 2 \(Validate VALIDATE_NUMERIC on Amount\) terminated the flow at record 5 of the window/);
      assert.equal(wf.Metrics?.AppflowIntegration?.RecordsProcessed, 4, 'the two pages before the failing record were committed');
      const { steps } = await allSteps(s.client, env.domain, out.WorkflowId!);
      assert.equal(steps[0].Status, 'FAILED');
      assert.match(steps[0].ExecutionMessage ?? '', /^Failed: Task 2 \(Validate VALIDATE_NUMERIC on Amount\) terminated the flow at record 5/);

      // No retry is scheduled: running the engine again changes nothing.
      await s.engine.runUntilIdle();
      const again = await allSteps(s.client, env.domain, out.WorkflowId!);
      assert.equal(again.steps[0].Status, 'FAILED');
      assert.equal(again.steps[0].LastUpdatedAt?.getTime(), steps[0].LastUpdatedAt?.getTime());
      const objects = await s.store.profileObjects.get(HOME, env.domain, 'Contact', 'L5');
      assert.equal(objects, undefined, 'nothing of the failing page is ingested');
      assert.ok(await s.store.profileObjects.get(HOME, env.domain, 'Contact', 'L4'));
    });
  });
}
