import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AppflowClient,
  CreateConnectorProfileCommand,
  DeleteConnectorProfileCommand,
  DescribeConnectorProfilesCommand,
  UpdateConnectorProfileCommand,
} from '@aws-sdk/client-appflow';
import { resolveConnectorProfile } from '../../../src/connectors/resolve-profile.js';
import { appflowClient, servicenowProfile } from '../../helpers/appflow.js';
import { availableBackends } from '../../helpers/backends.js';
import { expectAwsError } from '../../helpers/errors.js';
import { startServer, TEST_ACCOUNT, TEST_REGION, type TestServer } from '../../helpers/server.js';

const OTHER = '111122223333';

for (const backend of await availableBackends()) {
  describe(`AppFlow connector profiles [${backend}]`, () => {
    let s: TestServer;
    let af: AppflowClient;
    let other: AppflowClient;
    before(async () => {
      s = await startServer(backend);
      af = appflowClient(s.url);
      other = appflowClient(s.url, { accountId: OTHER });
    });
    after(async () => {
      af.destroy();
      other.destroy();
      await s.close();
    });

    describe('serialization', () => {
      test('CreateConnectorProfile answers the profile ARN; DescribeConnectorProfiles its properties, times, never credentials', async () => {
        const out = await af.send(new CreateConnectorProfileCommand(servicenowProfile('sn-main')));
        assert.equal(out.connectorProfileArn, `arn:aws:appflow:${TEST_REGION}:${TEST_ACCOUNT}:connectorprofile/sn-main`);
        const described = await af.send(new DescribeConnectorProfilesCommand({ connectorProfileNames: ['sn-main'] }));
        assert.equal(described.connectorProfileDetails?.length, 1);
        const p = described.connectorProfileDetails![0];
        assert.equal(p.connectorProfileName, 'sn-main');
        assert.equal(p.connectorType, 'Servicenow');
        assert.equal(p.connectionMode, 'Public');
        assert.deepEqual(p.connectorProfileProperties, { ServiceNow: { instanceUrl: 'https://dev1.service-now.com' } });
        assert.ok(p.createdAt instanceof Date && p.lastUpdatedAt instanceof Date);
        const raw = JSON.stringify(described);
        assert.ok(!raw.includes('pa55-word-never-echoed') && !raw.includes('connectorProfileCredentials'), raw);
      });
    });

    describe('validation', () => {
      test('a name breaking ConnectorProfileName\'s pattern is a ValidationException naming the member', async () => {
        await expectAwsError(
          af.send(new CreateConnectorProfileCommand(servicenowProfile('bad name'))),
          'ValidationException',
          400,
          "at 'connectorProfileName'",
          'regular expression pattern',
        );
      });

      test('a connector type profileflow does not read is refused by name', async () => {
        await expectAwsError(
          af.send(
            new CreateConnectorProfileCommand({
              connectorProfileName: 'slack',
              connectorType: 'Slack',
              connectionMode: 'Public',
              connectorProfileConfig: { connectorProfileProperties: { Slack: { instanceUrl: 'https://x.slack.com' } } },
            }),
          ),
          'ValidationException',
          400,
          'not Slack',
        );
      });

      test("an instance outside the operator's hosts is refused at save", async () => {
        await expectAwsError(
          af.send(new CreateConnectorProfileCommand(servicenowProfile('sn-evil', 'https://evil.example.com'))),
          'ValidationException',
          400,
          "operator's policy",
        );
      });

      test('a name already taken in the account is a ConflictException (409)', async () => {
        await af.send(new CreateConnectorProfileCommand(servicenowProfile('sn-dup')));
        await expectAwsError(af.send(new CreateConnectorProfileCommand(servicenowProfile('sn-dup'))), 'ConflictException', 409, 'sn-dup');
      });
    });

    describe('behaviour', () => {
      test('the stored settings carry the credentials the connector uses', async () => {
        await af.send(new CreateConnectorProfileCommand(servicenowProfile('sn-creds')));
        const resolved = await resolveConnectorProfile(s.store, { accountId: TEST_ACCOUNT, region: TEST_REGION }, 'sn-creds');
        assert.deepEqual(resolved?.settings, { instanceUrl: 'https://dev1.service-now.com', username: 'integration', password: 'pa55-word-never-echoed' });
        assert.equal(resolved?.owner, 'account');
      });

      test('an update without credentials keeps the stored ones and changes the properties', async () => {
        await af.send(new CreateConnectorProfileCommand(servicenowProfile('sn-upd')));
        await af.send(
          new UpdateConnectorProfileCommand({
            connectorProfileName: 'sn-upd',
            connectionMode: 'Public',
            connectorProfileConfig: { connectorProfileProperties: { ServiceNow: { instanceUrl: 'https://dev2.service-now.com' } } },
          }),
        );
        const resolved = await resolveConnectorProfile(s.store, { accountId: TEST_ACCOUNT, region: TEST_REGION }, 'sn-upd');
        assert.equal(resolved?.settings.instanceUrl, 'https://dev2.service-now.com');
        assert.equal(resolved?.settings.password, 'pa55-word-never-echoed');
      });

      test("another account cannot see, use, update or delete a profile; its own of the same name is apart", async () => {
        await af.send(new CreateConnectorProfileCommand(servicenowProfile('sn-private')));
        const seen = await other.send(new DescribeConnectorProfilesCommand({}));
        assert.deepEqual(seen.connectorProfileDetails, []);
        assert.equal(await resolveConnectorProfile(s.store, { accountId: OTHER, region: TEST_REGION }, 'sn-private'), undefined);
        await expectAwsError(other.send(new DeleteConnectorProfileCommand({ connectorProfileName: 'sn-private' })), 'ResourceNotFoundException', 404);
        await expectAwsError(
          other.send(new UpdateConnectorProfileCommand({ ...servicenowProfile('sn-private'), connectorType: undefined } as never)),
          'ResourceNotFoundException',
          404,
        );
        await other.send(new CreateConnectorProfileCommand(servicenowProfile('sn-private', 'https://other.service-now.com')));
        const mine = await resolveConnectorProfile(s.store, { accountId: TEST_ACCOUNT, region: TEST_REGION }, 'sn-private');
        assert.equal(mine?.settings.instanceUrl, 'https://dev1.service-now.com');
        // Another region of the same account is apart too.
        const west = appflowClient(s.url, { region: 'us-west-2' });
        assert.deepEqual((await west.send(new DescribeConnectorProfilesCommand({}))).connectorProfileDetails, []);
        west.destroy();
      });

      test("an account's profile wins over the operator's of the same name, for that account only", async () => {
        await s.store.connectorProfiles.put({ name: 'shared', kind: 'synthetic', connectorTypes: ['Servicenow'], settings: {} }, 'api', 1);
        await af.send(new CreateConnectorProfileCommand(servicenowProfile('shared')));
        assert.equal((await resolveConnectorProfile(s.store, { accountId: TEST_ACCOUNT, region: TEST_REGION }, 'shared'))?.kind, 'servicenow');
        assert.equal((await resolveConnectorProfile(s.store, { accountId: OTHER, region: TEST_REGION }, 'shared'))?.kind, 'synthetic');
      });

      test('DescribeConnectorProfiles pages by maxResults with a token bound to its filters', async () => {
        const c = appflowClient(s.url, { accountId: '222233334444' });
        for (const n of ['p1', 'p2', 'p3']) await c.send(new CreateConnectorProfileCommand(servicenowProfile(n)));
        const first = await c.send(new DescribeConnectorProfilesCommand({ maxResults: 2 }));
        assert.deepEqual(first.connectorProfileDetails?.map((p) => p.connectorProfileName), ['p1', 'p2']);
        const second = await c.send(new DescribeConnectorProfilesCommand({ maxResults: 2, nextToken: first.nextToken }));
        assert.deepEqual(second.connectorProfileDetails?.map((p) => p.connectorProfileName), ['p3']);
        assert.equal(second.nextToken, undefined);
        await expectAwsError(c.send(new DescribeConnectorProfilesCommand({ connectorType: 'Servicenow', nextToken: first.nextToken })), 'ValidationException', 400, 'NextToken');
        c.destroy();
      });

      test('narrowed by a connectorLabel (a custom connector\'s, which profileflow registers none of), the list is empty; a token is bound to the label', async () => {
        const c = appflowClient(s.url, { accountId: '333344445555' });
        for (const n of ['l1', 'l2']) await c.send(new CreateConnectorProfileCommand(servicenowProfile(n)));
        assert.deepEqual((await c.send(new DescribeConnectorProfilesCommand({ connectorLabel: 'my-custom-connector' }))).connectorProfileDetails, []);
        assert.deepEqual((await c.send(new DescribeConnectorProfilesCommand({ connectorLabel: 'my-custom-connector', connectorProfileNames: ['l1'] }))).connectorProfileDetails, []);
        const first = await c.send(new DescribeConnectorProfilesCommand({ maxResults: 1 }));
        assert.equal(first.connectorProfileDetails?.[0]?.connectorProfileName, 'l1');
        await expectAwsError(c.send(new DescribeConnectorProfilesCommand({ maxResults: 1, connectorLabel: 'my-custom-connector', nextToken: first.nextToken })), 'ValidationException', 400, 'NextToken');
        c.destroy();
      });

      test('store.reset(account) deletes that account\'s profiles only', async () => {
        await other.send(new CreateConnectorProfileCommand(servicenowProfile('reset-me')));
        await s.store.reset(OTHER);
        assert.deepEqual((await other.send(new DescribeConnectorProfilesCommand({}))).connectorProfileDetails, []);
        assert.ok(((await af.send(new DescribeConnectorProfilesCommand({}))).connectorProfileDetails?.length ?? 0) > 0);
        assert.ok(await s.store.connectorProfiles.get('shared'), "the operator's profiles stay");
      });
    });
  });
}
