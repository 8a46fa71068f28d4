import { AppflowClient } from '@aws-sdk/client-appflow';
import { TEST_REGION } from './server.js';

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
