import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ListIntegrationsCommand,
  type ListIntegrationsCommandInput,
  type ListIntegrationsCommandOutput,
  PutIntegrationCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends } from '../helpers/backends.js';
import { expectAwsError } from '../helpers/errors.js';
import { createDomain, domainWithType, HOME, raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const backend of await availableBackends()) {
  describe(`ListIntegrations [${backend}]`, () => {
    let s: TestServer;
    const uris = Array.from({ length: 5 }, (_, i) => `s3://bucket-${i}`);
    before(async () => {
      s = await startServer(backend);
      await domainWithType(s.client, 'li');
      for (const Uri of [...uris].reverse()) {
        await s.client.send(
          new PutIntegrationCommand({ DomainName: 'li', Uri, ObjectTypeName: 'Contact', Tags: Uri === uris[0] ? { first: 'yes' } : undefined }),
        );
      }
      // An integration made for internal use: listed only with include-hidden.
      await s.store.integrations.put(HOME, 'li', { uri: 's3://bucket-9-hidden', objectTypeName: 'Contact', hidden: true, createdAt: 1, updatedAt: 2 });
      await createDomain(s.client, 'none');
    });
    after(() => s.close());
    const list = (input: Partial<ListIntegrationsCommandInput> = {}) =>
      s.client.send(new ListIntegrationsCommand({ DomainName: 'li', ...input }));

    describe('serialization', () => {
      test('items carry the integration members and their tags', async () => {
        const out = await list();
        assert.equal(out.$metadata.httpStatusCode, 200);
        const [first, second] = out.Items ?? [];
        assert.equal(first.DomainName, 'li');
        assert.equal(first.Uri, uris[0]);
        assert.equal(first.ObjectTypeName, 'Contact');
        assert.ok(first.CreatedAt instanceof Date && first.LastUpdatedAt instanceof Date);
        assert.equal(first.Scope, 'PROFILE');
        assert.deepEqual(first.Tags, { first: 'yes' });
        assert.equal(second.Tags, undefined);
        assert.equal(out.NextToken, undefined);
      });

      test('a domain without integrations answers an empty list', async () => {
        assert.deepEqual((await list({ DomainName: 'none' })).Items, []);
      });
    });

    describe('validation', () => {
      test('MaxResults ranges 1..100 at both bounds', async () => {
        assert.equal((await list({ MaxResults: 1 })).Items?.length, 1);
        assert.equal((await list({ MaxResults: 100 })).Items?.length, 5);
        await expectAwsError(list({ MaxResults: 0 }), 'BadRequestException', 400, "at 'MaxResults'");
        await expectAwsError(list({ MaxResults: 101 }), 'BadRequestException', 400, "at 'MaxResults'");
      });

      test('include-hidden must be a boolean; NextToken must be one this service issued', async () => {
        const res = await raw(s, 'GET', '/domains/li/integrations?include-hidden=maybe');
        assert.equal(res.status, 400);
        assert.equal(res.errorType, 'BadRequestException');
        assert.match(String(res.json.Message), /at 'IncludeHidden'.*boolean/);
        await expectAwsError(list({ NextToken: 'x' }), 'BadRequestException', 400, 'NextToken');
      });
    });

    describe('behaviour', () => {
      test('pages walk every integration once, in Uri order', async () => {
        const pages: ListIntegrationsCommandOutput[] = [];
        let token: string | undefined;
        do {
          const page = await list({ MaxResults: 2, NextToken: token });
          pages.push(page);
          token = page.NextToken;
        } while (token);
        assert.deepEqual(pages.map((p) => p.Items?.length), [2, 2, 1]);
        assert.deepEqual(pages.flatMap((p) => p.Items?.map((i) => i.Uri)), uris);
      });

      test('hidden integrations are listed only with IncludeHidden, and a token keeps to its choice', async () => {
        assert.ok(!(await list()).Items?.some((i) => i.Uri === 's3://bucket-9-hidden'));
        assert.ok(!(await list({ IncludeHidden: false })).Items?.some((i) => i.Uri === 's3://bucket-9-hidden'));
        const all = await list({ IncludeHidden: true });
        assert.deepEqual(all.Items?.map((i) => i.Uri), [...uris, 's3://bucket-9-hidden']);
        const page = await list({ IncludeHidden: true, MaxResults: 1 });
        await expectAwsError(list({ NextToken: page.NextToken }), 'BadRequestException', 400, 'does not belong to this request');
      });

      test('a missing domain is a ResourceNotFoundException naming it', async () => {
        await expectAwsError(list({ DomainName: 'gone' }), 'ResourceNotFoundException', 404, 'gone');
      });

      test('another account sees none of them', async () => {
        const other = s.clientFor({ accountId: '111122223333' });
        await createDomain(other, 'li');
        assert.deepEqual((await other.send(new ListIntegrationsCommand({ DomainName: 'li' }))).Items, []);
      });
    });
  });
}
