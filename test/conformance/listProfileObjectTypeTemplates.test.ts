import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ListProfileObjectTypeTemplatesCommand,
  type ListProfileObjectTypeTemplatesCommandOutput,
} from '@aws-sdk/client-customer-profiles';
import { TEMPLATE_CATALOGUE } from '../../src/domain/templates/catalogue.js';
import { expectAwsError } from '../helpers/errors.js';
import { raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** Walks every page with one page size. */
async function walk(s: TestServer, maxResults?: number): Promise<ListProfileObjectTypeTemplatesCommandOutput[]> {
  const pages: ListProfileObjectTypeTemplatesCommandOutput[] = [];
  let token: string | undefined;
  do {
    const page = await s.client.send(new ListProfileObjectTypeTemplatesCommand({ MaxResults: maxResults, NextToken: token }));
    pages.push(page);
    token = page.NextToken;
    assert.ok(pages.length <= 100, 'the walk ends');
  } while (token);
  return pages;
}
const idsOf = (pages: ListProfileObjectTypeTemplatesCommandOutput[]) => pages.flatMap((p) => (p.Items ?? []).map((i) => i.TemplateId!));
const ALL_IDS = TEMPLATE_CATALOGUE.map((t) => t.TemplateId).sort();

// The catalogue belongs to the service and never touches the store: one backend is enough.
describe('ListProfileObjectTypeTemplates', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer('sqlite');
  });
  after(() => s.close());

  describe('serialization', () => {
    test('each item carries exactly TemplateId, SourceName and SourceObject; no NextToken when all fit', async () => {
      const out = await s.client.send(new ListProfileObjectTypeTemplatesCommand({}));
      assert.equal(out.$metadata.httpStatusCode, 200);
      assert.equal(out.NextToken, undefined);
      assert.equal(out.Items?.length, ALL_IDS.length);
      for (const item of out.Items!) assert.deepEqual(Object.keys(item).sort(), ['SourceName', 'SourceObject', 'TemplateId']);
      assert.deepEqual(
        out.Items!.find((i) => i.TemplateId === 'Salesforce-Account'),
        { TemplateId: 'Salesforce-Account', SourceName: 'Salesforce', SourceObject: 'Account' },
      );
    });

    test('on the wire: GET /templates with max-results and next-token in the query', async () => {
      const res = await raw(s, 'GET', '/templates?max-results=2');
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.json).sort(), ['Items', 'NextToken']);
      assert.equal((res.json.Items as unknown[]).length, 2);
      const next = await raw(s, 'GET', `/templates?max-results=100&next-token=${encodeURIComponent(res.json.NextToken as string)}`);
      assert.equal(next.status, 200);
      assert.equal((next.json.Items as unknown[]).length, ALL_IDS.length - 2);
      assert.equal(next.json.NextToken, undefined);
    });
  });

  describe('validation', () => {
    test('MaxResults is 1..100: 0 and 101 are rejected naming the member and the rule', async () => {
      assert.equal((await s.client.send(new ListProfileObjectTypeTemplatesCommand({ MaxResults: 1 }))).Items?.length, 1);
      assert.equal((await s.client.send(new ListProfileObjectTypeTemplatesCommand({ MaxResults: 100 }))).Items?.length, ALL_IDS.length);
      await expectAwsError(
        s.client.send(new ListProfileObjectTypeTemplatesCommand({ MaxResults: 0 })),
        'BadRequestException',
        400,
        "at 'MaxResults'",
        'greater than or equal to 1',
      );
      await expectAwsError(
        s.client.send(new ListProfileObjectTypeTemplatesCommand({ MaxResults: 101 })),
        'BadRequestException',
        400,
        "at 'MaxResults'",
        'less than or equal to 100',
      );
    });

    test('NextToken is 1..1024 characters, and one this service did not issue is rejected', async () => {
      await expectAwsError(
        s.client.send(new ListProfileObjectTypeTemplatesCommand({ NextToken: '' })),
        'BadRequestException',
        400,
        "at 'NextToken'",
      );
      await expectAwsError(
        s.client.send(new ListProfileObjectTypeTemplatesCommand({ NextToken: 't'.repeat(1025) })),
        'BadRequestException',
        400,
        'length less than or equal to 1024',
      );
      // 1,024 characters pass the length check: the token is then read, and was not issued here.
      await expectAwsError(
        s.client.send(new ListProfileObjectTypeTemplatesCommand({ NextToken: `${'t'.repeat(1019)}.abcd` })),
        'BadRequestException',
        400,
        'NextToken is not valid',
      );
      await expectAwsError(
        s.client.send(new ListProfileObjectTypeTemplatesCommand({ NextToken: 'forged.token' })),
        'BadRequestException',
        400,
        'NextToken is not valid',
      );
    });
  });

  describe('behaviour', () => {
    test('the whole catalogue, in TemplateId order, is the same walked one at a time or all at once', async () => {
      assert.deepEqual(idsOf(await walk(s)), ALL_IDS);
      const single = await walk(s, 1);
      assert.equal(single.length, ALL_IDS.length);
      assert.deepEqual(idsOf(single), ALL_IDS);
      assert.deepEqual(idsOf(await walk(s, 4)), ALL_IDS);
    });

    test('the catalogue has the Salesforce, ServiceNow, Zendesk and Marketo templates the admin guide documents', async () => {
      const ids = idsOf(await walk(s));
      for (const id of ['Salesforce-Account', 'Salesforce-Contact', 'Salesforce-Asset', 'Servicenow-sys_user', 'Servicenow-task', 'Servicenow-incident', 'Zendesk-users', 'Zendesk-tickets', 'Marketo-leads']) {
        assert.ok(ids.includes(id), id);
      }
    });

    test('a page token is bound to the account it was issued to', async () => {
      const first = await s.client.send(new ListProfileObjectTypeTemplatesCommand({ MaxResults: 1 }));
      const other = await s.clientFor({ accountId: '123456789012' }).send(
        new ListProfileObjectTypeTemplatesCommand({ MaxResults: 1, NextToken: first.NextToken }),
      ).then(
        () => 'accepted',
        (err: Error) => err.message,
      );
      assert.match(other, /does not belong to this request/, 'a token is bound to its account');
    });
  });
});
