/**
 * A workflow from CreateIntegrationWorkflow (official client) with ConnectorType Salesforce, read from
 * the loopback Salesforce through a `salesforce` connector profile: one day small enough for the REST
 * query, one large enough for a Bulk API 2.0 job, an access token revoked mid-way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateIntegrationWorkflowCommand,
  GetDomainCommand,
  GetWorkflowCommand,
  ListProfileObjectsCommand,
  type Task,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { HOME } from '../helpers/profile-objects.js';
import {
  SF_CLIENT_ID,
  SF_CLIENT_SECRET,
  SF_REFRESH_TOKEN,
  type SalesforceServer,
  startSalesforceServer,
} from '../helpers/salesforce-server.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { allSteps, consecutiveBatches, DAY_MS, FLOW, setupWorkflowEnv, uniqueProfileName, withMember, workflowRequest } from '../helpers/workflows.js';

process.env.PF_TEST_SF_WF_SECRET = SF_CLIENT_SECRET;
process.env.PF_TEST_SF_WF_REFRESH = SF_REFRESH_TOKEN;

const DAY1 = Date.UTC(2025, 0, 1);
const sfTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

/**
 * Day 1 holds 10 live contacts (REST: below the bulkThreshold of 12), day 2 holds 15 (Bulk API 2.0);
 * every fifth contact is deleted and one lies after the batches.
 */
function contacts(): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  let n = 0;
  const add = (time: number, deleted: boolean) => {
    n += 1;
    records.push({
      Id: `003${String(n).padStart(12, '0')}AAA`,
      FirstName: `Contact${n}`,
      Email: `contact${n}@example.com`,
      IsDeleted: deleted,
      LastModifiedDate: sfTime(time),
    });
  };
  for (let i = 0; i < 12; i++) add(DAY1 + i * 7_200_000, i === 4 || i === 9);
  for (let i = 0; i < 18; i++) add(DAY1 + DAY_MS + i * 4_000_000, i % 6 === 5);
  add(DAY1 + 3 * DAY_MS, false);
  return records;
}

const TASKS: Task[] = [
  { TaskType: 'Map', SourceFields: ['Id'], DestinationField: 'Id', ConnectorOperator: { Salesforce: 'NO_OP' } },
  { TaskType: 'Map', SourceFields: ['Email'], DestinationField: 'Email', ConnectorOperator: { Salesforce: 'NO_OP' } },
];

for (const backend of await availableBackends()) {
  describe(`a Salesforce workflow end to end [${backend}]`, () => {
    let s: TestServer;
    let sf: SalesforceServer;
    before(async () => {
      sf = await startSalesforceServer();
      sf.addObject({
        name: 'Contact',
        fields: [
          { name: 'Id', type: 'id' },
          { name: 'FirstName', type: 'string' },
          { name: 'Email', type: 'email' },
          { name: 'IsDeleted', type: 'boolean' },
          { name: 'LastModifiedDate', type: 'datetime' },
        ],
        records: contacts(),
      });
      s = await startServer(backend, { engine: { pageSize: 4 } });
    });
    after(async () => {
      await s.close();
      await sf.close();
    });

    test('CreateIntegrationWorkflow with ConnectorType Salesforce runs to COMPLETE and ingests every live record of its windows', async () => {
      const profile = uniqueProfileName('salesforce');
      const body = {
        kind: 'salesforce',
        connectorTypes: ['Salesforce'],
        settings: {
          instanceUrl: sf.url,
          apiVersion: '60.0',
          auth: { flow: 'refresh_token', clientId: SF_CLIENT_ID, clientSecretEnv: 'PF_TEST_SF_WF_SECRET', refreshTokenEnv: 'PF_TEST_SF_WF_REFRESH' },
          bulkThreshold: 12,
          bulkPollIntervalMs: 0,
        },
      };
      const put = await fetch(`${s.url}/_profileflow/connector-profiles/${encodeURIComponent(profile)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(put.status, 201, await put.text());
      const shown = (await (await fetch(`${s.url}/_profileflow/connector-profiles/${encodeURIComponent(profile)}`)).json()) as { settings: { auth: unknown } };
      assert.deepEqual(shown.settings.auth, { flow: 'refresh_token', clientId: SF_CLIENT_ID, clientSecretEnv: '***', refreshTokenEnv: '***' });

      const env = { ...(await setupWorkflowEnv(s, `sf-e2e-${backend}`)), profile };
      const input = withMember(workflowRequest({ env, Batches: consecutiveBatches(DAY1, 1, 1) }), `${FLOW}.Tasks`, TASKS);
      const { WorkflowId: workflowId } = await s.client.send(new CreateIntegrationWorkflowCommand(input));
      assert.ok(workflowId);

      // Two pages, then the org revokes the session: the next request is refused and retried with a new token.
      await s.engine.advance({ pages: 2 });
      sf.revokeTokens();
      await s.engine.runUntilIdle();

      const wf = await s.client.send(new GetWorkflowCommand({ DomainName: env.domain, WorkflowId: workflowId }));
      assert.equal(wf.Status, 'COMPLETE', wf.ErrorDescription);
      const live = contacts().filter((c) => c.IsDeleted !== true && Date.parse(c.LastModifiedDate as string) < DAY1 + 2 * DAY_MS);
      assert.equal(live.length, 25);
      assert.equal(wf.Metrics?.AppflowIntegration?.RecordsProcessed, live.length);
      const { steps } = await allSteps(s.client, env.domain, workflowId);
      assert.deepEqual(steps.map((st) => [st.Status, st.RecordsProcessed]), [['COMPLETE', 10], ['COMPLETE', 15]]);

      const domain = await s.client.send(new GetDomainCommand({ DomainName: env.domain }));
      assert.equal(domain.Stats?.ObjectCount, live.length);
      for (const contact of live) {
        const stored = await s.store.profileObjects.get(HOME, env.domain, 'Contact', contact.Id as string);
        assert.ok(stored, `${String(contact.Id)} is stored`);
        const listed = await s.client.send(new ListProfileObjectsCommand({ DomainName: env.domain, ObjectTypeName: 'Contact', ProfileId: stored.profileId }));
        assert.equal(listed.Items?.length, 1);
        const object = JSON.parse(listed.Items![0].Object!);
        assert.equal(object.Id, contact.Id);
        assert.equal(object.Email, contact.Email);
      }
      for (const deleted of contacts().filter((c) => c.IsDeleted === true)) {
        assert.equal(await s.store.profileObjects.get(HOME, env.domain, 'Contact', deleted.Id as string), undefined);
      }

      // What was sent: the REST query for day 1, a bulk job for day 2, the selected fields of the Tasks.
      const soql = sf.soql();
      assert.ok(
        soql.includes(
          'SELECT Id, Email, LastModifiedDate FROM Contact WHERE LastModifiedDate >= 2025-01-01T00:00:00Z AND LastModifiedDate < 2025-01-02T00:00:00Z ORDER BY LastModifiedDate, Id',
        ),
        soql.join('\n'),
      );
      const job = sf.apiRequests().find((r) => r.method === 'POST' && r.path === '/services/data/v60.0/jobs/query');
      assert.ok(job, 'day 2 was read with a Bulk API 2.0 query job');
      assert.match(JSON.parse(job.body).query, /LastModifiedDate >= 2025-01-02T00:00:00Z AND LastModifiedDate < 2025-01-03T00:00:00Z/);
      assert.ok(sf.issuedTokens.length >= 2, 'a new token after the revocation');
      assert.ok(sf.requests.some((r) => r.headers.authorization === `Bearer ${sf.issuedTokens[0]}`));
      assert.ok(sf.requests.some((r) => r.headers.authorization === `Bearer ${sf.issuedTokens.at(-1)}`));
    });
  });
}
