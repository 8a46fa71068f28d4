import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileObjectType, mapRecord } from '../../src/domain/object-type-mapping/index.js';
import { TEMPLATE_CATALOGUE } from '../../src/domain/templates/catalogue.js';
import { allTemplates, findTemplate } from '../../src/domain/templates/index.js';

describe('the object type template catalogue', () => {
  test('every entry names an AWS documentation page, and ids are unique', () => {
    for (const t of TEMPLATE_CATALOGUE) assert.match(t.url, /^https:\/\/docs\.aws\.amazon\.com\/connect\/latest\/adminguide\/[\w-]+\.html/, t.TemplateId);
    assert.equal(new Set(TEMPLATE_CATALOGUE.map((t) => t.TemplateId)).size, TEMPLATE_CATALOGUE.length);
  });

  test('every template with published mappings is a definition ingestion can follow', () => {
    const published = allTemplates().filter((t) => t.mappingsPublished);
    assert.equal(published.length, 9);
    for (const t of published) {
      const result = compileObjectType({
        objectTypeName: t.TemplateId,
        templateId: t.TemplateId,
        allowProfileCreation: t.AllowProfileCreation,
        fields: t.Fields,
        keys: t.Keys,
      });
      assert.ok(result.ok, `${t.TemplateId}: ${result.ok ? '' : result.problems.join(' ')}`);
    }
  });

  test('a source mapped to two targets gets a second field name, and the key reads the first', () => {
    const tickets = findTemplate('Zendesk-tickets')!;
    assert.deepEqual(tickets.Fields?.requester_id.Target, '_case.Attributes.ZendeskUserId');
    assert.deepEqual(tickets.Fields?.requester_id_CreatedBy, { Source: '_source.requester_id', Target: '_case.CreatedBy', ContentType: 'STRING' });
    assert.deepEqual(tickets.Keys?._zendeskUserId, [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['requester_id'] }]);
  });

  test('a Salesforce Account row, nested fields and all, is identified and indexed by its Id', () => {
    const t = findTemplate('Salesforce-Account')!;
    const compiled = compileObjectType({ objectTypeName: 'A', allowProfileCreation: true, fields: t.Fields, keys: t.Keys });
    assert.ok(compiled.ok);
    const mapped = mapRecord(compiled.type, {
      Id: '001A',
      Name: 'Acme',
      PersonEmail: 'Ann@Example.com',
      PersonMailingAddress: { City: 'Seattle' },
      BillingCity: 'Austin',
    });
    assert.ok(mapped.ok);
    assert.equal(mapped.mapped.uniqueKey, '001A');
    assert.deepEqual(
      mapped.mapped.keys.map((k) => [k.name, k.value]),
      [['_salesforceAccountId', '001A']],
    );
  });

  test('templates AWS names without mappings carry none', () => {
    for (const id of ['CTR', 'CTR-NoInferred']) {
      const t = findTemplate(id)!;
      assert.equal(t.mappingsPublished, false);
      assert.equal(t.Fields, undefined);
      assert.equal(t.Keys, undefined);
    }
  });
});
