import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  CreateDomainCommand,
  CreateIntegrationWorkflowCommand,
  CustomerProfilesClient,
  GetDomainCommand,
  GetWorkflowCommand,
  GetWorkflowStepsCommand,
  PutProfileObjectTypeCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends, dropSchema, POSTGRES_URL } from '../helpers/backends.js';
import { eventually, type ServiceProcess, startService } from '../helpers/service-process.js';

const hasPostgres = (await availableBackends()).includes('postgres');
const PER_DAY = 48;

describe('two worker processes on PostgreSQL', { skip: hasPostgres ? false : 'PostgreSQL does not answer' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pf-workers-'));
  const schema = `pf_workers_${randomBytes(4).toString('hex')}`;
  const processes: ServiceProcess[] = [];
  after(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await dropSchema(schema);
  });

  test('share the steps of many workflows and never process one twice: every count is exact', async () => {
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        pageDelayMs: 5,
        engine: { pollIntervalMs: 50, pageSize: 16 },
        connectorProfiles: [{ name: 'syn', kind: 'synthetic', settings: { recordsPerDay: PER_DAY, seed: 5 } }],
      }),
    );
    const db = ['--database-url', `${POSTGRES_URL}?schema=${schema}`, '--config', config];
    // The API process runs no steps: all of them go to the two workers.
    const api = await startService(['serve', '--port', '0', '--engine-mode', 'off', ...db]);
    processes.push(api);
    const client = new CustomerProfilesClient({ endpoint: api.url!, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } });
    await client.send(new CreateDomainCommand({ DomainName: 'scale', DefaultExpirationDays: 30 }));
    await client.send(
      new PutProfileObjectTypeCommand({
        DomainName: 'scale',
        ObjectTypeName: 'Contact',
        Description: 'contacts',
        AllowProfileCreation: true,
        Fields: { Id: { Source: '_source.Id', Target: '_custom.Id', ContentType: 'STRING' } },
        Keys: { Id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }] },
      }),
    );
    const ids: string[] = [];
    for (let w = 0; w < 6; w++) {
      // Each workflow reads its own days, so every record is distinct across workflows.
      const day0 = Date.UTC(2024, 0, 1 + w * 3);
      const out = await client.send(
        new CreateIntegrationWorkflowCommand({
          DomainName: 'scale',
          WorkflowType: 'APPFLOW_INTEGRATION',
          ObjectTypeName: 'Contact',
          RoleArn: 'arn:aws:iam::123456789012:role/ingest',
          IntegrationConfig: {
            AppflowIntegration: {
              FlowDefinition: {
                FlowName: `scale-${w}`,
                KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/abcd-1234',
                SourceFlowConfig: { ConnectorType: 'Salesforce', ConnectorProfileName: 'syn', SourceConnectorProperties: { Salesforce: { Object: 'Contact' } } },
                Tasks: [{ TaskType: 'Map', SourceFields: ['Id'], ConnectorOperator: { Salesforce: 'NO_OP' } }],
                TriggerConfig: { TriggerType: 'OnDemand' },
              },
              Batches: [0, 1, 2].map((d) => ({ StartTime: new Date(day0 + d * 86_400_000), EndTime: new Date(day0 + (d + 1) * 86_400_000) })),
            },
          },
        }),
      );
      ids.push(out.WorkflowId!);
    }
    processes.push(await startService(['worker', ...db]));
    processes.push(await startService(['worker', ...db]));

    for (const id of ids) {
      const w = await eventually(async () => {
        const r = await client.send(new GetWorkflowCommand({ DomainName: 'scale', WorkflowId: id }));
        return r.Status === 'COMPLETE' || r.Status === 'FAILED' ? r : undefined;
      }, `workflow ${id} to finish`, 60_000);
      assert.equal(w.Status, 'COMPLETE');
      assert.deepEqual(w.Metrics?.AppflowIntegration, { RecordsProcessed: 3 * PER_DAY, StepsCompleted: 3, TotalSteps: 3 });
      const steps = await client.send(new GetWorkflowStepsCommand({ DomainName: 'scale', WorkflowId: id }));
      assert.deepEqual(steps.Items?.map((s) => s.AppflowIntegration?.RecordsProcessed), [PER_DAY, PER_DAY, PER_DAY]);
    }
    const domain = await client.send(new GetDomainCommand({ DomainName: 'scale' }));
    assert.equal(domain.Stats?.ObjectCount, 6 * 3 * PER_DAY);
    client.destroy();
    for (const p of processes.splice(0)) assert.equal(await p.stop('SIGTERM'), 0);
  });
});
