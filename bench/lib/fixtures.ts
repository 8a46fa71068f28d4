// The resources every benchmark sets up through the API: a domain, an object type of 6 fields and 2 keys
// (Id: UNIQUE, Email: PROFILE), a synthetic connector profile, and integration workflows over it.
import { ok } from './common.js';

export const OBJECT_TYPE = 'Contact';
export const CONNECTOR_PROFILE = 'bench-synthetic';

export async function createDomain(base: string, domain: string): Promise<void> {
  await ok(base, 'POST', `/domains/${domain}`, { DefaultExpirationDays: 365 });
}

export async function putObjectType(base: string, domain: string): Promise<void> {
  const field = (source: string, target: string, type = 'STRING') => ({ Source: `_source.${source}`, Target: target, ContentType: type });
  await ok(base, 'PUT', `/domains/${domain}/object-types/${OBJECT_TYPE}`, {
    Description: 'Contacts from the synthetic source',
    AllowProfileCreation: true,
    Fields: {
      Id: field('Id', '_custom.Id'),
      FirstName: field('FirstName', '_profile.FirstName'),
      LastName: field('LastName', '_profile.LastName'),
      Email: field('Email', '_profile.EmailAddress', 'EMAIL_ADDRESS'),
      Phone: field('Phone', '_profile.PhoneNumber', 'PHONE_NUMBER'),
      City: field('City', '_profile.Address.City'),
    },
    Keys: {
      Id: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['Id'] }],
      Email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['Email'] }],
    },
  });
}

export async function putConnectorProfile(base: string, recordsPerDay: number): Promise<void> {
  const res = await fetch(`${base}/_profileflow/connector-profiles/${CONNECTOR_PROFILE}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'synthetic', settings: { recordsPerDay, seed: 7 } }),
  });
  if (res.status >= 300) throw new Error(`connector profile: ${res.status} ${await res.text()}`);
}

const DAY_MS = 86_400_000;
/** The first day of the synthetic history every ingestion reads. */
export const HISTORY_START = Date.UTC(2025, 0, 1);

/** CreateIntegrationWorkflow over `batches` consecutive windows of `daysPerBatch` days from `startDay`. */
export async function createWorkflow(
  base: string,
  domain: string,
  options: { flowName: string; batches: number; daysPerBatch?: number; startDay?: number },
): Promise<string> {
  const days = options.daysPerBatch ?? 1;
  const start = HISTORY_START + (options.startDay ?? 0) * DAY_MS;
  const fields = ['Id', 'FirstName', 'LastName', 'Email', 'Phone', 'City'];
  const out = await ok(base, 'POST', `/domains/${domain}/workflows/integrations`, {
    WorkflowType: 'APPFLOW_INTEGRATION',
    ObjectTypeName: OBJECT_TYPE,
    RoleArn: 'arn:aws:iam::123456789012:role/profileflow-bench',
    IntegrationConfig: {
      AppflowIntegration: {
        FlowDefinition: {
          FlowName: options.flowName,
          Description: 'Benchmark history ingestion',
          KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/bench',
          SourceFlowConfig: {
            ConnectorType: 'Salesforce',
            ConnectorProfileName: CONNECTOR_PROFILE,
            SourceConnectorProperties: { Salesforce: { Object: 'Contact' } },
          },
          Tasks: fields.map((f) => ({
            TaskType: 'Map',
            SourceFields: [f],
            DestinationField: f,
            ConnectorOperator: { Salesforce: 'NO_OP' },
          })),
          TriggerConfig: { TriggerType: 'OnDemand' },
        },
        Batches: Array.from({ length: options.batches }, (_, i) => ({
          StartTime: (start + i * days * DAY_MS) / 1000,
          EndTime: (start + (i + 1) * days * DAY_MS) / 1000,
        })),
      },
    },
  });
  return out.WorkflowId as string;
}
