/**
 * boto3 against `profileflow serve`, as a Python user would use the templates: walk
 * list_profile_object_type_templates page by page, get the Salesforce-Account template, make an object
 * type from it with TemplateId alone, and ingest a row of the Salesforce Account export through it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { hasBoto3, runClient } from '../helpers/aws-clients.js';
import { serveForSuite } from '../helpers/cli-process.js';

const AWS_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))),
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_MAX_ATTEMPTS: '1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};

const ACCOUNT = JSON.parse(
  readFileSync(new URL('../fixtures/salesforce-export/Account/accounts-part1.jsonl', import.meta.url), 'utf8').split('\n')[0],
) as Record<string, string>;

const SCRIPT = `
import json, sys, boto3
from botocore.exceptions import ClientError
c = boto3.client('customer-profiles', endpoint_url=sys.argv[1])
record = sys.argv[2]
out = {'pages': 0, 'ids': []}
kwargs = {'MaxResults': 3}
while True:
    page = c.list_profile_object_type_templates(**kwargs)
    out['pages'] += 1
    out['ids'] += [i['TemplateId'] for i in page['Items']]
    if 'NextToken' not in page:
        break
    kwargs['NextToken'] = page['NextToken']
sf = [i for i in c.list_profile_object_type_templates()['Items'] if i['SourceName'] == 'Salesforce' and i['SourceObject'] == 'Account'][0]
template = c.get_profile_object_type_template(TemplateId=sf['TemplateId'])
out['template'] = {k: template[k] for k in ('TemplateId', 'AllowProfileCreation', 'Keys')}
c.create_domain(DomainName='boto_templates', DefaultExpirationDays=30)
made = c.put_profile_object_type(DomainName='boto_templates', ObjectTypeName='Accounts', Description='From the template', TemplateId=sf['TemplateId'])
out['made'] = {k: made.get(k) for k in ('TemplateId', 'AllowProfileCreation')}
out['same_fields'] = made['Fields'] == template['Fields']
try:
    c.put_profile_object_type(DomainName='boto_templates', ObjectTypeName='Mixed', Description='x', TemplateId=sf['TemplateId'], AllowProfileCreation=True)
except ClientError as e:
    out['mixed'] = [e.response['Error']['Code'], e.response['Error']['Message']]
key = c.put_profile_object(DomainName='boto_templates', ObjectTypeName='Accounts', Object=record)['ProfileObjectUniqueKey']
out['key'] = key
found = c.search_profiles(DomainName='boto_templates', KeyName='_salesforceAccountId', Values=[key])['Items']
out['profiles'] = [{k: v for k, v in p.items() if k not in ('ProfileId', 'FoundByItems')} for p in found]
print(json.dumps(out))
`;

describe('boto3 and the object type templates', () => {
  const server = serveForSuite('pf-e2e-templates-');

  test('list (paged), get the Salesforce Account template, use it by TemplateId, ingest an Account row', hasBoto3 ? {} : { skip: 'boto3 not installed' }, async () => {
    const r = await runClient('python3', ['-c', SCRIPT, server().url, JSON.stringify(ACCOUNT)], AWS_ENV, 60_000);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      pages: number;
      ids: string[];
      template: { TemplateId: string; AllowProfileCreation: boolean; Keys: unknown };
      made: { TemplateId: string; AllowProfileCreation: boolean };
      same_fields: boolean;
      mixed: [string, string];
      key: string;
      profiles: Record<string, unknown>[];
    };
    assert.equal(out.pages, Math.ceil(out.ids.length / 3));
    assert.deepEqual(out.ids, [...out.ids].sort(), 'in TemplateId order');
    assert.equal(new Set(out.ids).size, out.ids.length, 'no template twice across pages');
    assert.ok(out.ids.includes('Salesforce-Account'));
    assert.deepEqual(out.template, {
      TemplateId: 'Salesforce-Account',
      AllowProfileCreation: true,
      Keys: { _salesforceAccountId: [{ StandardIdentifiers: ['PROFILE', 'UNIQUE'], FieldNames: ['Id'] }] },
    });
    assert.deepEqual(out.made, { TemplateId: 'Salesforce-Account', AllowProfileCreation: true });
    assert.equal(out.same_fields, true);
    assert.equal(out.mixed[0], 'BadRequestException');
    assert.match(out.mixed[1], /leave out AllowProfileCreation/);
    assert.equal(out.key, ACCOUNT.Id);
    assert.deepEqual(out.profiles, [
      {
        BusinessName: ACCOUNT.Name,
        AccountNumber: ACCOUNT.AccountNumber,
        PhoneNumber: ACCOUNT.Phone,
        BillingAddress: { City: ACCOUNT.BillingCity, Country: ACCOUNT.BillingCountry },
        Attributes: { sfdcAccountId: ACCOUNT.Id },
      },
    ]);
  });
});
