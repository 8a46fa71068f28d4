import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { type ServiceProcess, startService } from '../helpers/cli-process.js';
import { eventually } from '../helpers/poll.js';
import { hasAwsCli } from '../helpers/aws-clients.js';

const run = promisify(execFile);

describe('a real workflow over the files source, driven by the aws CLI', { skip: hasAwsCli ? false : 'aws CLI not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pf-e2e-'));
  let service: ServiceProcess;
  const aws = async (...args: string[]) => {
    const { stdout } = await run('aws', ['customer-profiles', ...args, '--endpoint-url', service.url!, '--output', 'json'], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_MAX_ATTEMPTS: '1' },
    });
    return stdout.trim() ? JSON.parse(stdout) : {};
  };

  before(async () => {
    const source = join(dir, 'source', 'Contact');
    mkdirSync(source, { recursive: true });
    // January 2025 in JSON lines, February in CSV: two batches, two formats.
    const jan = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ Id: `c${i}`, Email: `c${i}@example.com`, LastModifiedDate: new Date(Date.UTC(2025, 0, 1 + i, 12)).toISOString() }),
    );
    writeFileSync(join(source, '2025-01.jsonl'), `${jan.join('\n')}\n`);
    const feb = ['Id,Email,LastModifiedDate', ...Array.from({ length: 20 }, (_, i) => `d${i},"d${i}@example.com",${new Date(Date.UTC(2025, 1, 1 + i, 12)).toISOString()}`)];
    writeFileSync(join(source, '2025-02.csv'), `${feb.join('\n')}\n`);
    // A record seen again in a later file replaces its object rather than adding one.
    writeFileSync(join(source, '2025-02b.jsonl'), `${JSON.stringify({ Id: 'd0', Email: 'new@example.com', LastModifiedDate: '2025-02-25T00:00:00Z' })}\n`);
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ connectorProfiles: [{ name: 'local-files', kind: 'files', connectorTypes: ['Salesforce'], settings: { directory: join(dir, 'source') } }] }),
    );
    // The operator names the folder files sources may read; without it the files kind is refused.
    service = await startService(['serve', '--port', '0', '--data-dir', join(dir, 'data'), '--config', config, '--file-roots', dir]);
  });
  after(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('create-integration-workflow runs to COMPLETE and its steps, objects and integration are visible', async () => {
    await aws('create-domain', '--domain-name', 'e2e', '--default-expiration-days', '30');
    await aws(
      'put-profile-object-type',
      '--domain-name', 'e2e',
      '--object-type-name', 'Contact',
      '--description', 'Contacts from files',
      '--allow-profile-creation',
      '--fields', JSON.stringify({ Id: { Source: '_source.Id', Target: '_custom.Id', ContentType: 'STRING' }, Email: { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' } }),
      '--keys', JSON.stringify({ Id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }] }),
    );
    const input = {
      DomainName: 'e2e',
      WorkflowType: 'APPFLOW_INTEGRATION',
      ObjectTypeName: 'Contact',
      RoleArn: 'arn:aws:iam::123456789012:role/ingest',
      Tags: { team: 'data' },
      IntegrationConfig: {
        AppflowIntegration: {
          FlowDefinition: {
            FlowName: 'contacts-history',
            KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/abcd-1234',
            SourceFlowConfig: {
              ConnectorType: 'Salesforce',
              ConnectorProfileName: 'local-files',
              SourceConnectorProperties: { Salesforce: { Object: 'Contact' } },
            },
            Tasks: [{ TaskType: 'Map', SourceFields: ['Id'], DestinationField: 'Id', ConnectorOperator: { Salesforce: 'NO_OP' } }],
            TriggerConfig: { TriggerType: 'OnDemand' },
          },
          Batches: [
            { StartTime: '2025-01-01T00:00:00Z', EndTime: '2025-02-01T00:00:00Z' },
            { StartTime: '2025-02-01T00:00:00Z', EndTime: '2025-03-01T00:00:00Z' },
          ],
        },
      },
    };
    const created = await aws('create-integration-workflow', '--cli-input-json', JSON.stringify(input));
    assert.match(created.WorkflowId, /^[a-f0-9]{32}$/);

    const done = await eventually(async () => {
      const w = await aws('get-workflow', '--domain-name', 'e2e', '--workflow-id', created.WorkflowId);
      return w.Status === 'COMPLETE' || w.Status === 'FAILED' ? w : undefined;
    }, 'the workflow to finish');
    assert.equal(done.Status, 'COMPLETE', JSON.stringify(done));
    assert.deepEqual(done.Metrics.AppflowIntegration, { RecordsProcessed: 51, StepsCompleted: 2, TotalSteps: 2 });
    assert.equal(done.Attributes.AppflowIntegration.ConnectorProfileName, 'local-files');

    const steps = await aws('get-workflow-steps', '--domain-name', 'e2e', '--workflow-id', created.WorkflowId);
    assert.deepEqual(
      steps.Items.map((i: { AppflowIntegration: Record<string, unknown> }) => [i.AppflowIntegration.Status, i.AppflowIntegration.RecordsProcessed, i.AppflowIntegration.BatchRecordsStartTime]),
      [
        ['COMPLETE', 30, '2025-01-01T00:00:00.000Z'],
        ['COMPLETE', 21, '2025-02-01T00:00:00.000Z'],
      ],
    );
    const listed = await aws('list-workflows', '--domain-name', 'e2e', '--status', 'COMPLETE');
    assert.deepEqual(listed.Items.map((i: { WorkflowId: string }) => i.WorkflowId), [created.WorkflowId]);

    const domain = await aws('get-domain', '--domain-name', 'e2e');
    assert.equal(domain.Stats.ObjectCount, 50, 'd0 seen twice is one object');

    const integrations = await aws('list-integrations', '--domain-name', 'e2e');
    assert.equal(integrations.Items.length, 1);
    assert.equal(integrations.Items[0].WorkflowId, created.WorkflowId);
    assert.equal(integrations.Items[0].Uri, 'arn:aws:appflow:us-east-1:000000000000:flow/contacts-history');
  });
});
