import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  DeleteDomainCommand,
  DeleteWorkflowCommand,
  GetDomainCommand,
  GetIntegrationCommand,
  GetWorkflowCommand,
  GetWorkflowStepsCommand,
  ListIntegrationsCommand,
  ListTagsForResourceCommand,
  ListWorkflowsCommand,
} from '@aws-sdk/client-customer-profiles';
import { ManualClock } from '../../src/engine/clock.js';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../helpers/server.js';
import {
  consecutiveBatches,
  createWorkflow,
  flowUriOf,
  putObjectType,
  setupWorkflowEnv,
  type WorkflowEnv,
} from '../helpers/workflows.js';

const integrationArn = (domain: string) => `arn:aws:profile:${TEST_REGION}:${TEST_ACCOUNT}:domains/${domain}/integrations/${flowUriOf(domain)}`;

for (const backend of await availableBackends()) {
  describe(`DeleteWorkflow [${backend}]`, () => {
    const clock = new ManualClock(Date.UTC(2026, 7, 1));
    // This server's engine is never run.
    let s: TestServer;
    let env: WorkflowEnv;
    before(async () => {
      s = await startServer(backend, { clock });
      env = await setupWorkflowEnv(s, 'dw');
    });
    after(() => s.close());

    const del = (id: string, domain = env.domain) => s.client.send(new DeleteWorkflowCommand({ DomainName: domain, WorkflowId: id }));

    describe('serialization', () => {
      test('answers 200 with an empty output', async () => {
        const id = await createWorkflow(s.client, { env });
        const out = await del(id);
        assert.equal(out.$metadata.httpStatusCode, 200);
        assert.deepEqual(Object.keys(out), ['$metadata']);
      });

      test('the body on the wire is an empty JSON object', async () => {
        const id = await createWorkflow(s.client, { env });
        const response = await fetch(`${s.url}/domains/${env.domain}/workflows/${id}`, { method: 'DELETE' });
        assert.equal(response.status, 200);
        assert.equal(await response.text(), '{}');
      });
    });

    describe('validation', () => {
      test('a WorkflowId of 256 characters is a BadRequestException; 255 is a valid (unknown) id', async () => {
        await expectAwsError(del('w'.repeat(256)), 'BadRequestException', 400, "at 'WorkflowId'", 'length less than or equal to 255');
        await expectAwsError(del('w'.repeat(255)), 'ResourceNotFoundException', 404);
      });

      test('the WorkflowId has no pattern here: unknown ids that are not hex are a ResourceNotFoundException naming them', async () => {
        for (const id of ['integrations', 'nope', 'ABCDEF0123456789ABCDEF0123456789', 'has space', 'a/b', 'steps', 'x']) {
          await expectAwsError(del(id), 'ResourceNotFoundException', 404, id);
        }
      });

      test('DomainName must match ^[a-zA-Z0-9_-]+$', async () => {
        await expectAwsError(del('nope', 'bad.domain'), 'BadRequestException', 400, "at 'DomainName'");
      });
    });

    describe('behaviour', () => {
      test('a domain that does not exist is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(del('0123456789abcdef0123456789abcdef', 'dw-no-domain'), 'ResourceNotFoundException', 404, 'dw-no-domain');
      });

      test('another account or region cannot delete it', async () => {
        const id = await createWorkflow(s.client, { env });
        const otherAccount = s.clientFor({ accountId: '111122223333' });
        await otherAccount.send(new CreateDomainCommand({ DomainName: env.domain, DefaultExpirationDays: 1 }));
        await expectAwsError(
          otherAccount.send(new DeleteWorkflowCommand({ DomainName: env.domain, WorkflowId: id })),
          'ResourceNotFoundException',
          404,
          id,
        );
        await expectAwsError(
          s.clientFor({ region: 'us-west-2' }).send(new DeleteWorkflowCommand({ DomainName: env.domain, WorkflowId: id })),
          'ResourceNotFoundException',
          404,
        );
        assert.equal((await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: id }))).WorkflowId, id);
      });
    });

    describe('behaviour with the engine', () => {
      /** A server of its own per test, so that the engine runs only that test's workflows. */
      async function engineServer(t: { after: (fn: () => Promise<void>) => void }) {
        const server = await startServer(backend, { clock: new ManualClock(Date.UTC(2026, 7, 1)), engine: { pageSize: 24 } });
        t.after(() => server.close());
        return server;
      }
      const objectCount = async (server: TestServer, domain: string) =>
        (await server.client.send(new GetDomainCommand({ DomainName: domain }))).Stats?.ObjectCount;

      test('until the engine purges it, the workflow reads CANCELLED (GetWorkflow, ListWorkflows and its filter, GetWorkflowSteps) and a second DeleteWorkflow answers 200; afterwards all answer 404', async (t) => {
        const server = await engineServer(t);
        const e = await setupWorkflowEnv(server, 'dw-window');
        const keep = await createWorkflow(server.client, { env: e });
        const gone = await createWorkflow(server.client, { env: e, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 1, 1) });
        const get = (id: string) => server.client.send(new GetWorkflowCommand({ DomainName: e.domain, WorkflowId: id }));
        const list = (Status?: 'CANCELLED') => server.client.send(new ListWorkflowsCommand({ DomainName: e.domain, Status }));
        await server.client.send(new DeleteWorkflowCommand({ DomainName: e.domain, WorkflowId: gone }));

        const cancelled = await get(gone);
        assert.equal(cancelled.Status, 'CANCELLED');
        assert.equal(cancelled.WorkflowId, gone);
        const item = (await list()).Items!.find((i) => i.WorkflowId === gone);
        assert.equal(item?.Status, 'CANCELLED');
        assert.match(item?.StatusDescription ?? '', /^Cancelled: the workflow is being deleted/);
        assert.deepEqual((await list('CANCELLED')).Items!.map((i) => i.WorkflowId), [gone], 'Status=CANCELLED finds it, and only it');
        const steps = await server.client.send(new GetWorkflowStepsCommand({ DomainName: e.domain, WorkflowId: gone }));
        assert.deepEqual(
          steps.Items!.map((i) => [i.AppflowIntegration?.Status, i.AppflowIntegration?.ExecutionMessage]),
          [
            ['CANCELLED', 'Cancelled: the workflow was deleted.'],
            ['CANCELLED', 'Cancelled: the workflow was deleted.'],
          ],
          'its steps not run are shown cancelled',
        );
        const again = await server.client.send(new DeleteWorkflowCommand({ DomainName: e.domain, WorkflowId: gone }));
        assert.equal(again.$metadata.httpStatusCode, 200, 'deleting a workflow being deleted is accepted again');
        assert.equal((await get(keep)).Status, 'NOT_STARTED', 'the other workflow is untouched');

        // The engine's next turn purges it: its reaper runs before anything is claimed.
        await server.engine.advance({ pages: 1 });
        await expectAwsError(get(gone), 'ResourceNotFoundException', 404, gone);
        await expectAwsError(
          server.client.send(new GetWorkflowStepsCommand({ DomainName: e.domain, WorkflowId: gone })),
          'ResourceNotFoundException',
          404,
          gone,
        );
        await expectAwsError(
          server.client.send(new DeleteWorkflowCommand({ DomainName: e.domain, WorkflowId: gone })),
          'ResourceNotFoundException',
          404,
          gone,
        );
        const listed = (await list()).Items!.map((i) => i.WorkflowId);
        assert.deepEqual(listed, [keep]);
        assert.deepEqual((await list('CANCELLED')).Items ?? [], []);
      });

      test('deleting mid-run keeps the records already ingested, ingests nothing more and leaves no integration', async (t) => {
        const server = await engineServer(t);
        const e = await setupWorkflowEnv(server, 'dw-midrun');
        // Three days at 24 a day, 24 to a page: three pages.
        const id = await createWorkflow(server.client, { env: e, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 3) });
        await server.engine.advance({ pages: 1 });
        assert.equal(
          (await server.client.send(new GetWorkflowCommand({ DomainName: e.domain, WorkflowId: id }))).Metrics?.AppflowIntegration
            ?.RecordsProcessed,
          24,
        );
        assert.equal(await objectCount(server, e.domain), 24);

        await server.client.send(new DeleteWorkflowCommand({ DomainName: e.domain, WorkflowId: id }));
        const ran = await server.engine.runUntilIdle();
        assert.equal(ran.steps.length, 0, 'no step of the deleted workflow runs');
        assert.equal(await objectCount(server, e.domain), 24, 'the records already ingested stay, and no more arrive');
        await expectAwsError(
          server.client.send(new GetWorkflowCommand({ DomainName: e.domain, WorkflowId: id })),
          'ResourceNotFoundException',
          404,
        );
        const integrations = await server.client.send(new ListIntegrationsCommand({ DomainName: e.domain }));
        assert.deepEqual(integrations.Items ?? [], []);
      });

      test('deleting a completed workflow removes the integration it created, and that integration\'s tags', async (t) => {
        const server = await engineServer(t);
        const e = await setupWorkflowEnv(server, 'dw-done');
        const id = await createWorkflow(server.client, { env: e, Tags: { owner: 'data-team' } });
        await server.engine.runUntilIdle();
        const integration = await server.client.send(new GetIntegrationCommand({ DomainName: e.domain, Uri: flowUriOf(e.domain) }));
        assert.equal(integration.WorkflowId, id);
        const records = await objectCount(server, e.domain);
        assert.equal(records, 24);

        await server.client.send(new DeleteWorkflowCommand({ DomainName: e.domain, WorkflowId: id }));
        assert.equal(
          (await server.client.send(new GetIntegrationCommand({ DomainName: e.domain, Uri: flowUriOf(e.domain) }))).WorkflowId,
          id,
          'the integration goes with the purge, not before',
        );
        await server.engine.runUntilIdle();
        await expectAwsError(
          server.client.send(new GetIntegrationCommand({ DomainName: e.domain, Uri: flowUriOf(e.domain) })),
          'ResourceNotFoundException',
          404,
        );
        assert.deepEqual((await server.client.send(new ListIntegrationsCommand({ DomainName: e.domain }))).Items ?? [], []);
        await expectAwsError(
          server.client.send(new ListTagsForResourceCommand({ resourceArn: integrationArn(e.domain) })),
          'ResourceNotFoundException',
          404,
        );
        assert.equal(await objectCount(server, e.domain), 24, 'the ingested records stay');

        // A later workflow of the same FlowName makes an integration of the same Uri: the old tags do not come back.
        const again = await createWorkflow(server.client, { env: e });
        await server.engine.runUntilIdle();
        const replaced = await server.client.send(new GetIntegrationCommand({ DomainName: e.domain, Uri: flowUriOf(e.domain) }));
        assert.equal(replaced.WorkflowId, again);
        const tags = await server.client.send(new ListTagsForResourceCommand({ resourceArn: integrationArn(e.domain) }));
        assert.deepEqual(tags.tags ?? {}, {});
      });

      test('DeleteDomain removes its workflows: none is found, listed or run in a domain recreated under the same name', async (t) => {
        const server = await engineServer(t);
        const e = await setupWorkflowEnv(server, 'dw-domain');
        const id = await createWorkflow(server.client, { env: e, Batches: consecutiveBatches(Date.UTC(2025, 0, 1), 2) });
        await server.engine.advance({ pages: 1 });
        await server.client.send(new DeleteDomainCommand({ DomainName: e.domain }));
        await expectAwsError(
          server.client.send(new GetWorkflowCommand({ DomainName: e.domain, WorkflowId: id })),
          'ResourceNotFoundException',
          404,
        );

        await server.client.send(new CreateDomainCommand({ DomainName: e.domain, DefaultExpirationDays: 30 }));
        await putObjectType(server.client, e.domain);
        await expectAwsError(
          server.client.send(new GetWorkflowCommand({ DomainName: e.domain, WorkflowId: id })),
          'ResourceNotFoundException',
          404,
          id,
        );
        await expectAwsError(
          server.client.send(new GetWorkflowStepsCommand({ DomainName: e.domain, WorkflowId: id })),
          'ResourceNotFoundException',
          404,
        );
        await expectAwsError(
          server.client.send(new DeleteWorkflowCommand({ DomainName: e.domain, WorkflowId: id })),
          'ResourceNotFoundException',
          404,
        );
        const listed = await server.client.send(new ListWorkflowsCommand({ DomainName: e.domain }));
        assert.deepEqual(listed.Items ?? [], []);
        const ran = await server.engine.runUntilIdle();
        assert.equal(ran.steps.length, 0, 'the workflow of the deleted domain never runs again');
        assert.equal((await server.client.send(new GetDomainCommand({ DomainName: e.domain }))).Stats?.ObjectCount, 0);
      });
    });
  });
}
