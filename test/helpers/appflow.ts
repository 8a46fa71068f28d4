import { AppflowClient, CreateConnectorProfileCommand } from '@aws-sdk/client-appflow';
import { CreateDomainCommand, PutProfileObjectTypeCommand } from '@aws-sdk/client-customer-profiles';
import { TEST_REGION, type TestServer } from './server.js';

/** The official AppFlow client against a test server: same endpoint as Customer Profiles, signing name `appflow`. */
export function appflowClient(url: string, o: { accountId?: string; region?: string } = {}): AppflowClient {
  return new AppflowClient({
    endpoint: url,
    region: o.region ?? TEST_REGION,
    maxAttempts: 1,
    credentials: { accessKeyId: o.accountId ?? 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
}

export const servicenowProfile = (name: string, instanceUrl = 'https://dev1.service-now.com') => ({
  connectorProfileName: name,
  connectorType: 'Servicenow' as const,
  connectionMode: 'Public' as const,
  connectorProfileConfig: {
    connectorProfileProperties: { ServiceNow: { instanceUrl } },
    connectorProfileCredentials: { ServiceNow: { username: 'integration', password: 'pa55-word-never-echoed' } },
  },
});

/** What a flow of the AppFlow tests writes into: the domain `dom` with its Ticket type, and the ServiceNow connector profile `sn`. */
export async function ticketsDestination(s: TestServer, af: AppflowClient): Promise<void> {
  await s.client.send(new CreateDomainCommand({ DomainName: 'dom', DefaultExpirationDays: 1 }));
  await s.client.send(
    new PutProfileObjectTypeCommand({
      DomainName: 'dom',
      ObjectTypeName: 'Ticket',
      Description: 'tickets',
      Fields: { number: { Source: '_source.number', Target: '_profile.AccountNumber' } },
      Keys: { number: [{ StandardIdentifiers: ['PROFILE', 'UNIQUE'], FieldNames: ['number'] }] },
    }),
  );
  await af.send(new CreateConnectorProfileCommand(servicenowProfile('sn')));
}
