import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serveForSuite } from '../helpers/cli-process.js';
import { hasBoto3, runClient } from '../helpers/aws-clients.js';

/** What a boto3 user has: fake credentials, a region, no retries, no config files. */
const AWS_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))),
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_MAX_ATTEMPTS: '1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};

/** The whole lifecycle as a boto3 user drives it, against a fresh domain; prints what it saw as JSON. */
const SCRIPT = `
import json, sys, boto3
from botocore.exceptions import ClientError
c = boto3.client('customer-profiles', endpoint_url=sys.argv[1])
d = 'lifecycle'
c.create_domain(DomainName=d, DefaultExpirationDays=30)
c.put_profile_object_type(DomainName=d, ObjectTypeName='Contact', Description='CRM contacts', AllowProfileCreation=True,
    Fields={'Id': {'Source': '_source.Id', 'ContentType': 'STRING'},
            'Email': {'Source': '_source.Email', 'Target': '_profile.EmailAddress', 'ContentType': 'EMAIL_ADDRESS'}},
    Keys={'_contactId': [{'StandardIdentifiers': ['UNIQUE', 'PROFILE'], 'FieldNames': ['Id']}],
          '_email': [{'StandardIdentifiers': ['PROFILE'], 'FieldNames': ['Email']}]})
out = {}
main = c.create_profile(DomainName=d, FirstName='Ada', LastName='Lovelace', Attributes={'tier': 'gold'})['ProfileId']
dup = c.create_profile(DomainName=d, FirstName='Augusta', EmailAddress='ada@example.com')['ProfileId']
c.put_profile_object(DomainName=d, ObjectTypeName='Contact', Object=json.dumps({'Id': 'C-1', 'Email': 'ada@example.com'}))
c.update_profile(DomainName=d, ProfileId=main, LastName='', BirthDate='1815-12-10', Attributes={'tier': '', 'colour': 'green'})
c.add_profile_key(DomainName=d, ProfileId=dup, KeyName='_contactId', Values=['CRM-9'])
c.add_profile_key(DomainName=d, ProfileId=main, KeyName='_contactId', Values=['TEMP'])
c.delete_profile_key(DomainName=d, ProfileId=main, KeyName='_contactId', Values=['TEMP'])
out['temp'] = c.search_profiles(DomainName=d, KeyName='_contactId', Values=['TEMP'])['Items']
c.merge_profiles(DomainName=d, MainProfileId=main, ProfileIdsToBeMerged=[dup], FieldSourceProfileIds={'FirstName': dup})
got = c.batch_get_profile(DomainName=d, ProfileIds=[main, dup])
out['profiles'] = got['Profiles']
out['errors'] = [e['ProfileId'] for e in got['Errors']]
out['by_email'] = [p['ProfileId'] for p in c.search_profiles(DomainName=d, KeyName='_email', Values=['ada@example.com'])['Items']]
out['by_key'] = [p['ProfileId'] for p in c.search_profiles(DomainName=d, KeyName='_contactId', Values=['CRM-9'])['Items']]
out['objects'] = len(c.list_profile_objects(DomainName=d, ObjectTypeName='Contact', ProfileId=main)['Items'])
out['stats'] = c.get_domain(DomainName=d)['Stats']
records = c.list_profile_history_records(DomainName=d, ProfileId=main)['ProfileHistoryRecords']
out['history'] = [r['ActionType'] for r in records]
out['history_time'] = type(records[0]['CreatedAt']).__name__
last = c.get_profile_history_record(DomainName=d, ProfileId=main, Id=records[-1]['Id'])
out['last_content'] = json.loads(last['Content'])
out['dup_history'] = [r['ActionType'] for r in c.list_profile_history_records(DomainName=d, ProfileId=dup)['ProfileHistoryRecords']]
c.delete_profile(DomainName=d, ProfileId=main)
try:
    c.batch_get_profile(DomainName=d, ProfileIds=[main])['Errors'][0]['ProfileId'] == main or sys.exit(3)
    c.update_profile(DomainName=d, ProfileId=main, FirstName='Ghost')
except ClientError as e:
    out['after_delete'] = e.response['Error']['Code']
out['final_stats'] = c.get_domain(DomainName=d)['Stats']
out['main'] = main
out['dup'] = dup
print(json.dumps(out))
`;

describe('boto3 drives the profile lifecycle against profileflow serve', () => {
  const server = serveForSuite('pf-e2e-lifecycle-');

  test('update, keys, batch get, merge, history and delete on a fresh domain', hasBoto3 ? {} : { skip: 'boto3 not installed' }, async () => {
    const r = await runClient('python3', ['-c', SCRIPT, server().url], AWS_ENV, 120_000);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const { main, dup } = out;
    assert.deepEqual(out.temp, [], 'a deleted key no longer finds the profile');
    assert.deepEqual(out.profiles, [
      {
        ProfileId: main,
        FirstName: 'Augusta',
        BirthDate: '1815-12-10',
        EmailAddress: 'ada@example.com',
        Attributes: { colour: 'green' },
      },
    ]);
    assert.deepEqual(out.errors, [dup]);
    assert.deepEqual(out.by_email, [main]);
    assert.deepEqual(out.by_key, [main]);
    assert.equal(out.objects, 1);
    assert.deepEqual(out.stats, { ProfileCount: 1, MeteringProfileCount: 1, ObjectCount: 1, TotalSize: out.stats.TotalSize });
    assert.deepEqual(out.history, ['CREATED', 'UPDATED', 'ADDED_PROFILE_KEY', 'DELETED_PROFILE_KEY', 'MERGED']);
    assert.equal(out.history_time, 'datetime');
    assert.equal(out.last_content.FirstName, 'Augusta');
    assert.deepEqual(out.dup_history, ['CREATED', 'INGESTED', 'ADDED_PROFILE_KEY', 'DELETED_BY_MERGE']);
    assert.equal(out.after_delete, 'ResourceNotFoundException');
    assert.deepEqual(out.final_stats, { ProfileCount: 0, MeteringProfileCount: 0, ObjectCount: 0, TotalSize: 0 });
  });
});
