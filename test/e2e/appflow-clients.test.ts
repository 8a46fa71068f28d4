import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serveForSuite } from '../helpers/cli-process.js';
import { hasAwsCli, hasBoto3, runClient } from '../helpers/aws-clients.js';

/** What an AWS CLI or boto3 user has, with AppFlow pointed at profileflow by AWS_ENDPOINT_URL_APPFLOW. */
function awsEnv(url: string): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))),
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_MAX_ATTEMPTS: '1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_ENDPOINT_URL_APPFLOW: url,
    AWS_ENDPOINT_URL_CUSTOMER_PROFILES: url,
  };
}

describe('AppFlow through the aws CLI and boto3 (AWS_ENDPOINT_URL_APPFLOW)', () => {
  const server = serveForSuite('pf-e2e-appflow-');

  test('aws appflow creates and describes a connector profile; the credentials never come back', hasAwsCli ? {} : { skip: 'aws CLI not installed' }, async () => {
    const env = awsEnv(server().url);
    const config = JSON.stringify({
      connectorProfileProperties: { Marketo: { instanceUrl: 'https://123-ABC-456.mktorest.com' } },
      connectorProfileCredentials: { Marketo: { clientId: 'cid', clientSecret: 'cli-secret-value' } },
    });
    const created = await runClient('aws', ['appflow', 'create-connector-profile', '--connector-profile-name', 'mk', '--connector-type', 'Marketo', '--connection-mode', 'Public', '--connector-profile-config', config, '--output', 'json'], env);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).connectorProfileArn, 'arn:aws:appflow:us-east-1:000000000000:connectorprofile/mk');
    const described = await runClient('aws', ['appflow', 'describe-connector-profiles', '--output', 'json'], env);
    assert.equal(described.code, 0, described.stderr);
    assert.equal(JSON.parse(described.stdout).connectorProfileDetails[0].connectorProfileName, 'mk');
    assert.ok(!described.stdout.includes('cli-secret-value'));
    const missing = await runClient('aws', ['appflow', 'describe-flow', '--flow-name', 'nothing'], env);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /ResourceNotFoundException/);
  });

  test('aws appflow retried with --client-token answers the first answer; other parameters under it are a ConflictException', hasAwsCli ? {} : { skip: 'aws CLI not installed' }, async () => {
    const env = awsEnv(server().url);
    const create = (instanceUrl: string) => {
      const config = JSON.stringify({
        connectorProfileProperties: { Zendesk: { instanceUrl } },
        connectorProfileCredentials: { Zendesk: { clientId: 'c', clientSecret: 's', accessToken: 'tok' } },
      });
      const args = ['appflow', 'create-connector-profile', '--connector-profile-name', 'zd-cli', '--connector-type', 'Zendesk', '--connection-mode', 'Public'];
      return runClient('aws', [...args, '--connector-profile-config', config, '--client-token', 'cli-retry-1', '--output', 'json'], env);
    };
    const first = await create('https://acme.zendesk.com');
    assert.equal(first.code, 0, first.stderr);
    const again = await create('https://acme.zendesk.com');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), JSON.parse(first.stdout));
    const other = await create('https://other.zendesk.com');
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /ConflictException.*clientToken cli-retry-1/);
  });

  test('boto3 creates a flow into Customer Profiles and lists it', hasBoto3 ? {} : { skip: 'boto3 not installed' }, async () => {
    const script = `
import boto3, json
cp = boto3.client('customer-profiles')
af = boto3.client('appflow')
cp.create_domain(DomainName='b3dom', DefaultExpirationDays=1)
af.create_connector_profile(connectorProfileName='zd', connectorType='Zendesk', connectionMode='Public',
  connectorProfileConfig={'connectorProfileProperties': {'Zendesk': {'instanceUrl': 'https://acme.zendesk.com'}},
    'connectorProfileCredentials': {'Zendesk': {'clientId': 'c', 'clientSecret': 's', 'accessToken': 'tok'}}})
out = af.create_flow(flowName='b3flow', triggerConfig={'triggerType': 'OnDemand'},
  sourceFlowConfig={'connectorType': 'Zendesk', 'connectorProfileName': 'zd', 'sourceConnectorProperties': {'Zendesk': {'object': 'tickets'}}},
  destinationFlowConfigList=[{'connectorType': 'CustomerProfiles', 'destinationConnectorProperties': {'CustomerProfiles': {'domainName': 'b3dom'}}}],
  tasks=[{'taskType': 'Map_all', 'sourceFields': [], 'connectorOperator': {'Zendesk': 'NO_OP'}}])
flows = af.list_flows()['flows']
try:
  af.create_flow(flowName='b3flow', triggerConfig={'triggerType': 'OnDemand'},
    sourceFlowConfig={'connectorType': 'Zendesk', 'connectorProfileName': 'zd', 'sourceConnectorProperties': {'Zendesk': {'object': 'tickets'}}},
    destinationFlowConfigList=[{'connectorType': 'CustomerProfiles', 'destinationConnectorProperties': {'CustomerProfiles': {'domainName': 'b3dom'}}}],
    tasks=[{'taskType': 'Map_all', 'sourceFields': [], 'connectorOperator': {'Zendesk': 'NO_OP'}}])
  conflict = None
except af.exceptions.ConflictException as e:
  conflict = e.response['Error']['Message']
print(json.dumps({'arn': out['flowArn'], 'status': out['flowStatus'], 'names': [f['flowName'] for f in flows], 'conflict': conflict}))
`;
    const r = await runClient('python3', ['-c', script], awsEnv(server().url));
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.arn, 'arn:aws:appflow:us-east-1:000000000000:flow/b3flow');
    assert.equal(out.status, 'Active');
    assert.deepEqual(out.names, ['b3flow']);
    assert.match(out.conflict, /b3flow/, 'boto3 reads the message from {"message"}');
  });
});

describe('ongoing updates through boto3 on a manual clock (serve --clock manual)', () => {
  const server = serveForSuite('pf-e2e-runs-', ['--clock', 'manual']);

  test('describe_flow_execution_records lists the scheduled run Successful, with its recordsProcessed, once the clock passes a tick', hasBoto3 ? {} : { skip: 'boto3 not installed' }, async () => {
    // History: the 24 records of 2026-02-27; the first hourly tick after completion (01:00) reads from
    // the end of the history to the tick: 25 hours, one record an hour.
    const script = `
import boto3, json, os, time, urllib.request
url = os.environ['AWS_ENDPOINT_URL_APPFLOW']
def admin(method, path, body):
  req = urllib.request.Request(url + '/_profileflow/' + path, method=method, data=json.dumps(body).encode(), headers={'content-type': 'application/json'})
  return json.loads(urllib.request.urlopen(req).read() or b'{}')
def until(what, read, deadline=30):
  end = time.time() + deadline
  while time.time() < end:
    got = read()
    if got: return got
    time.sleep(0.05)
  raise SystemExit('timed out waiting for ' + what)
admin('POST', 'clock', {'set': '2026-03-01T00:00:00Z'})
admin('PUT', 'connector-profiles/hourly', {'kind': 'synthetic', 'connectorTypes': ['Salesforce'], 'settings': {'recordsPerDay': 24, 'seed': 3}})
cp = boto3.client('customer-profiles')
af = boto3.client('appflow')
cp.create_domain(DomainName='ongoing', DefaultExpirationDays=30)
cp.put_profile_object_type(DomainName='ongoing', ObjectTypeName='Contact', Description='contacts', AllowProfileCreation=True,
  Fields={'Id': {'Source': '_source.Id', 'Target': '_custom.Id', 'ContentType': 'STRING'}},
  Keys={'Id': [{'StandardIdentifiers': ['UNIQUE', 'PROFILE'], 'FieldNames': ['Id']}]})
wf = cp.create_integration_workflow(DomainName='ongoing', WorkflowType='APPFLOW_INTEGRATION', ObjectTypeName='Contact',
  RoleArn='arn:aws:iam::123456789012:role/ingest',
  IntegrationConfig={'AppflowIntegration': {
    'FlowDefinition': {'FlowName': 'hourly-contacts', 'KmsArn': 'arn:aws:kms:us-east-1:123456789012:key/k',
      'SourceFlowConfig': {'ConnectorType': 'Salesforce', 'ConnectorProfileName': 'hourly', 'SourceConnectorProperties': {'Salesforce': {'Object': 'Contact'}}},
      'Tasks': [{'TaskType': 'Map', 'SourceFields': ['Id'], 'DestinationField': 'Id', 'ConnectorOperator': {'Salesforce': 'NO_OP'}}],
      'TriggerConfig': {'TriggerType': 'Scheduled', 'TriggerProperties': {'Scheduled': {'ScheduleExpression': 'rate(1hours)'}}}},
    'Batches': [{'StartTime': '2026-02-27T00:00:00Z', 'EndTime': '2026-02-28T00:00:00Z'}]}})
until('the history', lambda: cp.get_workflow(DomainName='ongoing', WorkflowId=wf['WorkflowId'])['Status'] == 'COMPLETE')
before = af.describe_flow_execution_records(flowName='hourly-contacts')['flowExecutions']
description = cp.list_workflows(DomainName='ongoing')['Items'][0]['StatusDescription']
admin('POST', 'clock', {'advanceMs': 3600 * 1000 + 1000})
runs = until('the run', lambda: [r for r in af.describe_flow_execution_records(flowName='hourly-contacts')['flowExecutions'] if r['executionStatus'] != 'InProgress'])
r = runs[0]
print(json.dumps({'before': len(before), 'description': description, 'status': r['executionStatus'], 'records': r['executionResult']['recordsProcessed'],
  'start': r['dataPullStartTime'].isoformat(), 'end': r['dataPullEndTime'].isoformat(),
  'objects': cp.get_domain(DomainName='ongoing')['Stats']['ObjectCount']}))
`;
    const r = await runClient('python3', ['-c', script], awsEnv(server().url));
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.before, 0, 'no run before the tick');
    assert.match(out.description, /ongoing updates every hour, next run at 2026-03-01T01:00:00\.000Z\.$/);
    assert.equal(out.status, 'Successful');
    assert.equal(out.records, 25);
    assert.equal(out.start, '2026-02-28T00:00:00+00:00');
    assert.equal(out.end, '2026-03-01T01:00:00+00:00');
    assert.equal(out.objects, 24 + 25);
  });
});
