import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serveForSuite } from '../helpers/cli-process.js';
import { type ClientRun, hasAwsCli, hasBoto3, runClient } from '../helpers/aws-clients.js';

/** What a user of the AWS CLI or boto3 has: fake credentials, a region, no retries, no config files. */
const AWS_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))),
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_MAX_ATTEMPTS: '1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_PAGER: '',
};


function run(command: string, args: string[], timeoutMs = 60_000): Promise<ClientRun> {
  return runClient(command, args, AWS_ENV, timeoutMs);
}

describe('real AWS clients against profileflow serve', () => {
  const server = serveForSuite('pf-e2e-aws-');

  const aws = async (...args: string[]): Promise<ClientRun> =>
    run('aws', ['customer-profiles', ...args, '--endpoint-url', server().url, '--output', 'json']);
  const awsOk = async (...args: string[]): Promise<Record<string, unknown>> => {
    const r = await aws(...args);
    assert.equal(r.code, 0, `aws customer-profiles ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
  };

  test(
    'the aws CLI creates, reads, lists, tags, untags and deletes a domain',
    hasAwsCli ? {} : { skip: 'aws CLI not installed' },
    async () => {
      const created = await awsOk('create-domain', '--domain-name', 'cli_dom-1', '--default-expiration-days', '30', '--tags', 'team=growth');
      assert.equal(created.DomainName, 'cli_dom-1');
      assert.equal(created.DefaultExpirationDays, 30);
      assert.equal(typeof created.CreatedAt, 'number', 'the CLI prints our epoch-second timestamps as they are');

      const got = await awsOk('get-domain', '--domain-name', 'cli_dom-1');
      assert.equal(got.DomainName, 'cli_dom-1');
      assert.deepEqual(got.Tags, { team: 'growth' });
      assert.deepEqual(got.Stats, { ProfileCount: 0, MeteringProfileCount: 0, ObjectCount: 0, TotalSize: 0 });

      const listed = await awsOk('list-domains');
      assert.deepEqual((listed.Items as { DomainName: string }[]).map((d) => d.DomainName), ['cli_dom-1']);

      const arn = 'arn:aws:profile:us-east-1:000000000000:domains/cli_dom-1';
      await awsOk('tag-resource', '--resource-arn', arn, '--tags', 'env=prod,cost:center/x=42');
      assert.deepEqual((await awsOk('list-tags-for-resource', '--resource-arn', arn)).tags, {
        team: 'growth',
        env: 'prod',
        'cost:center/x': '42',
      });
      await awsOk('untag-resource', '--resource-arn', arn, '--tag-keys', 'team', 'cost:center/x');
      assert.deepEqual((await awsOk('list-tags-for-resource', '--resource-arn', arn)).tags, { env: 'prod' });

      await awsOk('delete-domain', '--domain-name', 'cli_dom-1');
      assert.deepEqual((await awsOk('list-domains')).Items, []);
    },
  );

  test(
    'an error reaches the aws CLI as the modelled exception with a non-zero exit',
    hasAwsCli ? {} : { skip: 'aws CLI not installed' },
    async () => {
      const r = await aws('get-domain', '--domain-name', 'no-such-domain');
      // aws-cli v1 exits 255 on a service error; v2 exits 254.
      assert.ok(r.code === 255 || r.code === 254, `exit code ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, /An error occurred \(ResourceNotFoundException\) when calling the GetDomain operation: .*no-such-domain/);
    },
  );

  test('boto3 lists domains and sees a missing domain as ResourceNotFoundException', hasBoto3 ? {} : { skip: 'boto3 not installed' }, async () => {
    const script = `
import json, sys, boto3
from botocore.exceptions import ClientError
c = boto3.client('customer-profiles', endpoint_url=sys.argv[1])
c.create_domain(DomainName='boto_dom', DefaultExpirationDays=3, Tags={'a:b': 'c'})
out = {'list': [d['DomainName'] for d in c.list_domains()['Items']]}
got = c.get_domain(DomainName='boto_dom')
out['tags'] = got['Tags']
out['created_is_datetime'] = type(got['CreatedAt']).__name__
out['request_id'] = got['ResponseMetadata']['RequestId']
try:
    c.get_domain(DomainName='nope')
except ClientError as e:
    out['error'] = [e.response['Error']['Code'], e.response['Error']['Message'], e.response['ResponseMetadata']['HTTPStatusCode']]
c.delete_domain(DomainName='boto_dom')
print(json.dumps(out))
`;
    const r = await run('python3', ['-c', script, server().url]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { list: string[]; tags: unknown; created_is_datetime: string; request_id: string; error: [string, string, number] };
    assert.ok(out.list.includes('boto_dom'), r.stdout);
    assert.deepEqual(out.tags, { 'a:b': 'c' });
    assert.equal(out.created_is_datetime, 'datetime');
    assert.match(out.request_id, /^[0-9a-f-]{36}$/);
    assert.equal(out.error[0], 'ResourceNotFoundException');
    assert.match(out.error[1], /nope/);
    assert.equal(out.error[2], 404);
  });
});
