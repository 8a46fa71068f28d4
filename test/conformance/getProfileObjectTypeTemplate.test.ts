import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  GetProfileObjectTypeTemplateCommand,
  ListProfileObjectTypeTemplatesCommand,
} from '@aws-sdk/client-customer-profiles';
import { TEMPLATE_CATALOGUE } from '../../src/domain/templates/catalogue.js';
import { expectAwsError } from '../helpers/errors.js';
import { raw } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

// The catalogue belongs to the service and never touches the store: one backend is enough.
describe('GetProfileObjectTypeTemplate', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer('sqlite');
  });
  after(() => s.close());
  const get = (TemplateId: string) => s.client.send(new GetProfileObjectTypeTemplateCommand({ TemplateId }));

  describe('serialization', () => {
    test('a template answers TemplateId, SourceName, SourceObject, AllowProfileCreation, Fields and Keys', async () => {
      const out = await get('Salesforce-Account');
      assert.equal(out.$metadata.httpStatusCode, 200);
      assert.equal(out.TemplateId, 'Salesforce-Account');
      assert.equal(out.SourceName, 'Salesforce');
      assert.equal(out.SourceObject, 'Account');
      assert.equal(out.AllowProfileCreation, true);
      assert.equal(out.SourceLastUpdatedTimestampFormat, undefined, 'AWS publishes none for this template');
      assert.deepEqual(out.Fields?.Id, { Source: '_source.Id', Target: '_profile.Attributes.sfdcAccountId', ContentType: 'STRING' });
      assert.deepEqual(out.Fields?.Phone, { Source: '_source.Phone', Target: '_profile.PhoneNumber', ContentType: 'PHONE_NUMBER' });
      assert.deepEqual(out.Fields?.['PersonMailingAddress.City'], {
        Source: '_source.PersonMailingAddress.City',
        Target: '_profile.MailingAddress.City',
        ContentType: 'STRING',
      });
      assert.deepEqual(out.Keys, { _salesforceAccountId: [{ StandardIdentifiers: ['PROFILE', 'UNIQUE'], FieldNames: ['Id'] }] });
    });

    test('on the wire: GET /templates/{TemplateId}, with only members that have values', async () => {
      const res = await raw(s, 'GET', '/templates/Zendesk-tickets');
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.json).sort(), ['AllowProfileCreation', 'Fields', 'Keys', 'SourceName', 'SourceObject', 'TemplateId']);
      const bare = await raw(s, 'GET', '/templates/CTR');
      assert.deepEqual(Object.keys(bare.json).sort(), ['SourceName', 'SourceObject', 'TemplateId']);
    });
  });

  describe('validation', () => {
    test('TemplateId follows the name pattern and is 1..64 characters', async () => {
      await expectAwsError(get('no spaces'), 'BadRequestException', 400, "at 'TemplateId'", 'regular expression pattern');
      await expectAwsError(get('t'.repeat(65)), 'BadRequestException', 400, "at 'TemplateId'", 'less than or equal to 64');
      await expectAwsError(get('t'.repeat(64)), 'ResourceNotFoundException', 404);
    });
  });

  describe('behaviour', () => {
    test('every listed template can be got, with the source the list names', async () => {
      const list = await s.client.send(new ListProfileObjectTypeTemplatesCommand({}));
      for (const item of list.Items!) {
        const out = await get(item.TemplateId!);
        assert.deepEqual([out.TemplateId, out.SourceName, out.SourceObject], [item.TemplateId, item.SourceName, item.SourceObject]);
      }
    });

    test('every key of a template names fields it defines, and exactly one key is UNIQUE', async () => {
      for (const entry of TEMPLATE_CATALOGUE.filter((t) => t.mappings)) {
        const out = await get(entry.TemplateId);
        const keys = Object.entries(out.Keys ?? {});
        assert.equal(keys.filter(([, [k]]) => k.StandardIdentifiers?.includes('UNIQUE')).length, 1, entry.TemplateId);
        for (const [, [k]] of keys) for (const f of k.FieldNames ?? []) assert.ok(out.Fields?.[f], `${entry.TemplateId}: ${f}`);
      }
    });

    test('a template AWS names without publishing its mappings answers without Fields and Keys', async () => {
      const out = await get('CTR-NoInferred');
      assert.equal(out.TemplateId, 'CTR-NoInferred');
      assert.equal(out.Fields, undefined);
      assert.equal(out.Keys, undefined);
    });

    test('template ids match exactly; an unknown one is a ResourceNotFoundException naming it', async () => {
      await expectAwsError(get('salesforce-account'), 'ResourceNotFoundException', 404, 'salesforce-account', 'ListProfileObjectTypeTemplates');
      await expectAwsError(get('Shopify-Customer'), 'ResourceNotFoundException', 404, 'Shopify-Customer');
    });

    test('the answer is a copy: changing one answer does not change the next', async () => {
      const first = await get('Marketo-leads');
      first.Fields!.id.Target = '_profile.FirstName';
      assert.equal((await get('Marketo-leads')).Fields!.id.Target, '_profile.Attributes.MarketoLeadId');
    });
  });
});
