import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliProcess, cliBuilt, startServe } from '../helpers/cli-process.js';
import { hasAwsCli, hasBoto3 } from '../helpers/aws-clients.js';

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

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('AppFlow through the aws CLI and boto3 (AWS_ENDPOINT_URL_APPFLOW)', () => {
  let server: { proc: CliProcess; url: string };
  let dataDir: string;
  before(async () => {
    assert.ok(cliBuilt, 'dist/bundle/profileflow.js is missing: run `npm run build` before the e2e tests');
    dataDir = mkdtempSync(join(tmpdir(), 'pf-e2e-appflow-'));
    server = await startServe(['--data-dir', dataDir]);
  });
  after(async () => {
    if (server) {
      server.proc.child.kill('SIGTERM');
      await server.proc.waitForExit();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('aws appflow creates and describes a connector profile; the credentials never come back', hasAwsCli ? {} : { skip: 'aws CLI not installed' }, async () => {
    const env = awsEnv(server.url);
    const config = JSON.stringify({
      connectorProfileProperties: { Marketo: { instanceUrl: 'https://123-ABC-456.mktorest.com' } },
      connectorProfileCredentials: { Marketo: { clientId: 'cid', clientSecret: 'cli-secret-value' } },
    });
    const created = await run('aws', ['appflow', 'create-connector-profile', '--connector-profile-name', 'mk', '--connector-type', 'Marketo', '--connection-mode', 'Public', '--connector-profile-config', config, '--output', 'json'], env);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).connectorProfileArn, 'arn:aws:appflow:us-east-1:000000000000:connectorprofile/mk');
    const described = await run('aws', ['appflow', 'describe-connector-profiles', '--output', 'json'], env);
    assert.equal(described.code, 0, described.stderr);
    assert.equal(JSON.parse(described.stdout).connectorProfileDetails[0].connectorProfileName, 'mk');
    assert.ok(!described.stdout.includes('cli-secret-value'));
    const missing = await run('aws', ['appflow', 'describe-flow', '--flow-name', 'nothing'], env);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /ResourceNotFoundException/);
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
    const r = await run('python3', ['-c', script], awsEnv(server.url));
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.arn, 'arn:aws:appflow:us-east-1:000000000000:flow/b3flow');
    assert.equal(out.status, 'Active');
    assert.deepEqual(out.names, ['b3flow']);
    assert.match(out.conflict, /b3flow/, 'boto3 reads the message from {"message"}');
  });
});
