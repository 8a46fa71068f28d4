import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ListAccountIntegrationsCommand, type ListAccountIntegrationsCommandInput, PutIntegrationCommand } from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { domainWithType, HOME, raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

const URI = 's3://shared-bucket/contacts';

for (const backend of await availableBackends()) {
  describe(`ListAccountIntegrations [${backend}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(backend);
      for (const d of ['c-dom', 'a-dom', 'b-dom']) {
        await domainWithType(s.client, d);
        await s.client.send(new PutIntegrationCommand({ DomainName: d, Uri: URI, ObjectTypeName: 'Contact', Tags: d === 'a-dom' ? { team: 'crm' } : undefined }));
      }
      await s.client.send(new PutIntegrationCommand({ DomainName: 'a-dom', Uri: 's3://other', ObjectTypeName: 'Contact' }));
      await domainWithType(s.client, 'hidden-dom');
      await s.store.integrations.put(HOME, 'hidden-dom', { uri: URI, objectTypeName: 'Contact', hidden: true, createdAt: 1, updatedAt: 2 });
    });
    after(() => s.close());
    const list = (input: Partial<ListAccountIntegrationsCommandInput> = {}) =>
      s.client.send(new ListAccountIntegrationsCommand({ Uri: URI, ...input }));

    describe('serialization', () => {
      test('POST /integrations answers Items with their domain, members and tags', async () => {
        const res = await raw(s, 'POST', '/integrations', { Uri: URI });
        assert.equal(res.status, 200);
        const items = res.json.Items as Record<string, unknown>[];
        assert.deepEqual(items.map((i) => i.DomainName), ['a-dom', 'b-dom', 'c-dom']);
        assert.deepEqual(items[0].Tags, { team: 'crm' });
        assert.equal(items[0].Uri, URI);
        assert.equal(typeof items[0].CreatedAt, 'number');
      });
    });

    describe('validation', () => {
      test('Uri is required; max-results ranges 1..100', async () => {
        await expectAwsError(s.client.send(new ListAccountIntegrationsCommand({} as never)), 'BadRequestException', 400, 'Uri');
        await expectAwsError(list({ MaxResults: 0 }), 'BadRequestException', 400, "at 'MaxResults'");
        await expectAwsError(list({ MaxResults: 101 }), 'BadRequestException', 400, "at 'MaxResults'");
        for (const MaxResults of [1, 100]) assert.ok(Array.isArray((await list({ MaxResults })).Items ?? []), `MaxResults ${MaxResults} is accepted`);
      });
    });

    describe('behaviour', () => {
      test('pages by domain with a token bound to the Uri; hidden ones only with IncludeHidden', async () => {
        const first = await list({ MaxResults: 2 });
        assert.deepEqual(first.Items?.map((i) => i.DomainName), ['a-dom', 'b-dom']);
        const rest = await list({ MaxResults: 2, NextToken: first.NextToken });
        assert.deepEqual(rest.Items?.map((i) => i.DomainName), ['c-dom']);
        assert.equal(rest.NextToken, undefined);
        await expectAwsError(list({ Uri: 's3://other', NextToken: first.NextToken }), 'BadRequestException', 400);
        assert.deepEqual((await list({ IncludeHidden: true })).Items?.map((i) => i.DomainName), ['a-dom', 'b-dom', 'c-dom', 'hidden-dom']);
        assert.deepEqual((await list({ Uri: 's3://nothing-here' })).Items, []);
      });

      test('another account or region sees none of the integrations', async () => {
        for (const other of [s.clientFor({ accountId: '111122223333' }), s.clientFor({ region: 'eu-west-1' })]) {
          assert.deepEqual((await other.send(new ListAccountIntegrationsCommand({ Uri: URI }))).Items, []);
        }
      });
    });
  });
}
