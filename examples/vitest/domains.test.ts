// A Vitest suite using profileflow/testing: one isolated instance for the file (its own temporary SQLite
// folder, a free port, the manual engine), emptied before each test, stopped after the last.
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import {
  CreateDomainCommand,
  CreateIntegrationWorkflowCommand,
  CustomerProfilesClient,
  ListDomainsCommand,
  PutProfileObjectTypeCommand,
} from '@aws-sdk/client-customer-profiles';
import { type Profileflow, startProfileflow } from 'profileflow/testing';

let pf: Profileflow;
let client: CustomerProfilesClient;

beforeAll(async () => {
  pf = await startProfileflow({
    connectorProfiles: { contacts: { kind: 'synthetic', settings: { recordsPerDay: 24, seed: 1 } } },
  });
  client = new CustomerProfilesClient(pf.clientConfig);
});
afterAll(async () => {
  client?.destroy();
  await pf?.stop();
});
beforeEach(() => pf.reset());

test('domains are created and listed', async () => {
  await client.send(new CreateDomainCommand({ DomainName: 'shop', DefaultExpirationDays: 30 }));
  const { Items } = await client.send(new ListDomainsCommand({}));
  expect(Items?.map((d) => d.DomainName)).toEqual(['shop']);
});

test('each test starts from empty tables', async () => {
  const { Items } = await client.send(new ListDomainsCommand({}));
  expect(Items ?? []).toEqual([]);
});

test('a history workflow completes', async () => {
  await client.send(new CreateDomainCommand({ DomainName: 'shop', DefaultExpirationDays: 30 }));
  await client.send(
    new PutProfileObjectTypeCommand({
      DomainName: 'shop',
      ObjectTypeName: 'Contact',
      Description: 'Contacts',
      AllowProfileCreation: true,
      Fields: { Id: { Source: '_source.Id', Target: '_custom.Id', ContentType: 'STRING' } },
      Keys: { Id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }] },
    }),
  );
  const { WorkflowId } = await client.send(
    new CreateIntegrationWorkflowCommand({
      DomainName: 'shop',
      WorkflowType: 'APPFLOW_INTEGRATION',
      ObjectTypeName: 'Contact',
      RoleArn: 'arn:aws:iam::123456789012:role/ingest',
      IntegrationConfig: {
        AppflowIntegration: {
          FlowDefinition: {
            FlowName: 'contacts-history',
            KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k1',
            SourceFlowConfig: {
              ConnectorType: 'Salesforce',
              ConnectorProfileName: 'contacts',
              SourceConnectorProperties: { Salesforce: { Object: 'Contact' } },
            },
            Tasks: [{ TaskType: 'Map', SourceFields: ['Id'], DestinationField: 'Id', ConnectorOperator: { Salesforce: 'NO_OP' } }],
            TriggerConfig: { TriggerType: 'OnDemand' },
          },
          Batches: [{ StartTime: new Date('2025-01-01T00:00:00Z'), EndTime: new Date('2025-01-02T00:00:00Z') }],
        },
      },
    }),
  );
  // The manual engine: waitForWorkflow runs the steps while it polls GetWorkflow.
  const workflow = await pf.waitForWorkflow('shop', WorkflowId!, 'COMPLETE', { timeoutMs: 10_000 });
  expect(workflow.Metrics?.AppflowIntegration?.RecordsProcessed).toBe(24);
});
