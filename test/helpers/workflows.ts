/**
 * What every integration-workflow test needs: a domain with an object type, a connector profile of the
 * synthetic source (created through the admin route, as an operator would), a valid
 * CreateIntegrationWorkflow request to vary, and walkers over the two paginated operations.
 */
import assert from 'node:assert/strict';
import {
  CreateDomainCommand,
  CreateIntegrationWorkflowCommand,
  type CreateIntegrationWorkflowCommandInput,
  type CustomerProfilesClient,
  GetWorkflowCommand,
  type GetWorkflowCommandOutput,
  GetWorkflowStepsCommand,
  ListWorkflowsCommand,
  type ListWorkflowsCommandInput,
  type ListWorkflowsItem,
  PutProfileObjectTypeCommand,
  type AppflowIntegrationWorkflowStep,
  type Batch,
  type TriggerConfig,
} from '@aws-sdk/client-customer-profiles';
import { TEST_ACCOUNT, TEST_REGION, type TestServer } from './server.js';

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/ingest';
export const KMS_ARN = 'arn:aws:kms:us-east-1:123456789012:key/abcd-1234';
export const OBJECT_TYPE = 'Contact';
/** The synthetic source used by default: 24 records a day, one on every full hour (UTC). */
export const RECORDS_PER_DAY = 24;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const ALL_CONNECTOR_TYPES = ['Salesforce', 'S3', 'Marketo', 'Zendesk', 'Servicenow'];
/** A model-valid WorkflowId (32 lowercase hex) that no workflow has. */
export const UNKNOWN_WORKFLOW_ID = '0123456789abcdef0123456789abcdef';
/** AppflowIntegrationWorkflowStep.FlowName (and FlowDefinition.FlowName): the model's pattern, whole-string. */
export const FLOW_NAME_PATTERN = /^[a-zA-Z0-9][\w!@#.-]+$/;

export interface SyntheticFault {
  page: number;
  kind: 'transient' | 'permanent' | 'too-large';
  times?: number;
  retryAfterMs?: number;
}

export interface ConnectorProfileOptions {
  connectorTypes?: string[];
  recordsPerDay?: number;
  seed?: number;
  faults?: SyntheticFault[];
  /** The source waits this long before each page, as one across a network does. */
  pageDelayMs?: number;
}

let profileCounter = 0;

/**
 * A connector profile name no other test in this process uses. The synthetic source remembers scripted
 * fault attempts per (profile, window, page) for the whole process, so two tests (or the same test on two
 * backends) must never share a faulting profile's name.
 */
export function uniqueProfileName(prefix = 'synthetic'): string {
  profileCounter += 1;
  return `${prefix}-${process.pid}-${profileCounter}`;
}

/** PUT {url}/_profileflow/connector-profiles/{name}: a profile of the synthetic source. */
export async function putConnectorProfile(s: TestServer, name: string, options: ConnectorProfileOptions = {}): Promise<void> {
  const settings: Record<string, unknown> = {
    recordsPerDay: options.recordsPerDay ?? RECORDS_PER_DAY,
    seed: options.seed ?? 7,
  };
  if (options.faults) settings.faults = options.faults;
  if (options.pageDelayMs !== undefined) settings.pageDelayMs = options.pageDelayMs;
  const response = await fetch(`${s.url}/_profileflow/connector-profiles/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'synthetic', connectorTypes: options.connectorTypes ?? ALL_CONNECTOR_TYPES, settings }),
  });
  const text = await response.text();
  assert.ok(response.status === 200 || response.status === 201, `connector profile ${name}: ${response.status} ${text}`);
}

/** PutProfileObjectType with the object type every workflow test ingests into. */
export async function putObjectType(client: CustomerProfilesClient, domainName: string, objectTypeName = OBJECT_TYPE): Promise<void> {
  await client.send(
    new PutProfileObjectTypeCommand({
      DomainName: domainName,
      ObjectTypeName: objectTypeName,
      Description: 'Contacts ingested by integration workflows',
      AllowProfileCreation: true,
      Fields: {
        Id: { Source: '_source.Id', Target: '_custom.Id', ContentType: 'STRING' },
        Email: { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' },
      },
      Keys: { Id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }] },
    }),
  );
}

export interface WorkflowEnv {
  domain: string;
  objectType: string;
  profile: string;
}

/**
 * The FlowName a workflow of `domain` gets unless a test names one: a flow name is one flow per account and
 * region, and an integration with its flow belongs to one domain, so each domain has its own.
 */
export function flowNameOf(domain: string): string {
  return `hist-flow-${domain}`;
}

/** The Uri of the ongoing integration a workflow of `domain` ends with: its flow's ARN. */
export function flowUriOf(domain: string): string {
  return `arn:aws:appflow:${TEST_REGION}:${TEST_ACCOUNT}:flow/${flowNameOf(domain)}`;
}

/**
 * A domain with the object type, and a fresh synthetic connector profile (24 records a day unless told),
 * for the server's default client or the given one.
 */
export async function setupWorkflowEnv(
  s: TestServer,
  domain: string,
  options: ConnectorProfileOptions & { client?: CustomerProfilesClient; profile?: string } = {},
): Promise<WorkflowEnv> {
  const client = options.client ?? s.client;
  await client.send(new CreateDomainCommand({ DomainName: domain, DefaultExpirationDays: 30 }));
  await putObjectType(client, domain);
  const profile = options.profile ?? uniqueProfileName(domain);
  await putConnectorProfile(s, profile, options);
  return { domain, objectType: OBJECT_TYPE, profile };
}

/** Consecutive batches starting at `start`, the i-th lasting `days[i]` days. */
export function consecutiveBatches(start: number, ...days: number[]): Batch[] {
  const batches: Batch[] = [];
  let at = start;
  for (const d of days) {
    batches.push({ StartTime: new Date(at), EndTime: new Date(at + d * DAY_MS) });
    at += d * DAY_MS;
  }
  return batches;
}

/** One day of history, the cheapest valid batch. */
export const ONE_DAY_BATCH: Batch[] = consecutiveBatches(Date.UTC(2025, 0, 1), 1);

export interface WorkflowRequestOptions {
  env: WorkflowEnv;
  /** Undefined batches means "no Batches member"; default one day. */
  Batches?: Batch[] | null;
  Tags?: Record<string, string>;
  FlowName?: string;
  TriggerConfig?: TriggerConfig;
}

/** A valid CreateIntegrationWorkflowCommand input (deep-copied, so tests may edit it freely). */
export function workflowRequest(options: WorkflowRequestOptions): CreateIntegrationWorkflowCommandInput {
  const batches = options.Batches === null ? undefined : (options.Batches ?? ONE_DAY_BATCH);
  return {
    DomainName: options.env.domain,
    WorkflowType: 'APPFLOW_INTEGRATION',
    ObjectTypeName: options.env.objectType,
    RoleArn: ROLE_ARN,
    ...(options.Tags ? { Tags: { ...options.Tags } } : {}),
    IntegrationConfig: {
      AppflowIntegration: {
        FlowDefinition: {
          FlowName: options.FlowName ?? flowNameOf(options.env.domain),
          KmsArn: KMS_ARN,
          SourceFlowConfig: {
            ConnectorType: 'Salesforce',
            ConnectorProfileName: options.env.profile,
            SourceConnectorProperties: { Salesforce: { Object: 'Contact' } },
          },
          Tasks: [{ TaskType: 'Map', SourceFields: ['Id'], DestinationField: 'Id', ConnectorOperator: { Salesforce: 'NO_OP' } }],
          TriggerConfig: options.TriggerConfig ?? { TriggerType: 'OnDemand' },
        },
        ...(batches ? { Batches: batches.map((b) => ({ StartTime: new Date(b.StartTime!), EndTime: new Date(b.EndTime!) })) } : {}),
      },
    },
  };
}

/**
 * A copy of `input` with the member at a dotted path (`IntegrationConfig.AppflowIntegration.Tasks.0.TaskType`)
 * set to `value`, or removed when `value` is undefined. Dates survive the copy.
 */
export function withMember<T>(input: T, path: string, value: unknown): T {
  const copy = structuredClone(input) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    at = at[key] as Record<string, unknown>;
    assert.ok(at !== undefined && at !== null, `no member ${key} on the way to ${path}`);
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy as T;
}

/** The FlowDefinition's dotted path inside a CreateIntegrationWorkflow input. */
export const FLOW = 'IntegrationConfig.AppflowIntegration.FlowDefinition';

/** CreateIntegrationWorkflow; returns the WorkflowId. */
export async function createWorkflow(client: CustomerProfilesClient, options: WorkflowRequestOptions): Promise<string> {
  const out = await client.send(new CreateIntegrationWorkflowCommand(workflowRequest(options)));
  assert.ok(out.WorkflowId, 'CreateIntegrationWorkflow answers a WorkflowId');
  return out.WorkflowId;
}

/** Every step of a workflow, walking GetWorkflowSteps at `pageSize`; also returns the page count. */
export async function allSteps(
  client: CustomerProfilesClient,
  domain: string,
  workflowId: string,
  pageSize?: number,
): Promise<{ steps: AppflowIntegrationWorkflowStep[]; pages: number }> {
  const steps: AppflowIntegrationWorkflowStep[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const out = await client.send(
      new GetWorkflowStepsCommand({ DomainName: domain, WorkflowId: workflowId, MaxResults: pageSize, NextToken: token }),
    );
    pages += 1;
    assert.equal(out.WorkflowId, workflowId);
    for (const item of out.Items ?? []) {
      assert.ok(item.AppflowIntegration, 'every WorkflowStepItem carries AppflowIntegration');
      steps.push(item.AppflowIntegration);
    }
    if (pageSize !== undefined && out.NextToken) assert.equal(out.Items?.length, pageSize, 'a page before the last is full');
    token = out.NextToken;
    assert.ok(pages < 10_000, 'GetWorkflowSteps pagination ends');
  } while (token);
  return { steps, pages };
}

/** Every workflow ListWorkflows returns for `filter`, walking at `pageSize`. */
export async function allWorkflows(
  client: CustomerProfilesClient,
  domain: string,
  pageSize?: number,
  filter: Omit<ListWorkflowsCommandInput, 'DomainName' | 'MaxResults' | 'NextToken'> = {},
): Promise<{ items: ListWorkflowsItem[]; pages: number }> {
  const items: ListWorkflowsItem[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const out = await client.send(new ListWorkflowsCommand({ DomainName: domain, MaxResults: pageSize, NextToken: token, ...filter }));
    pages += 1;
    items.push(...(out.Items ?? []));
    if (pageSize !== undefined && out.NextToken) assert.equal(out.Items?.length, pageSize, 'a page before the last is full');
    token = out.NextToken;
    assert.ok(pages < 10_000, 'ListWorkflows pagination ends');
  } while (token);
  return { items, pages };
}

/** A token with one character of its payload changed (still the same length and alphabet). */
export function alterToken(token: string): string {
  const i = Math.floor(token.length / 3);
  const c = token[i] === 'A' ? 'B' : 'A';
  return token.slice(0, i) + c + token.slice(i + 1);
}

/** ISO-8601 text of an epoch-millisecond time, as BatchRecordsStartTime/EndTime carry it. */
export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

export interface SourceWorkflowOptions {
  domain: string;
  objectType: string;
  /** The source's record id field: the object type's UNIQUE and PROFILE key, mapped by a task. */
  idField: string;
  /** The connector profile: its kind, ConnectorType and settings. */
  kind: string;
  connectorType: string;
  settings: Record<string, unknown>;
  /** SourceConnectorProperties, e.g. `{ Zendesk: { Object: 'users' } }`; its one key also names the task operators' member. */
  sourceProperties: Record<string, Record<string, unknown>>;
  batches: Batch[];
}

/**
 * A workflow over a real connector, end to end: a domain and an object type keyed by `idField` (email to
 * the profile), a connector profile PUT through the admin route, CreateIntegrationWorkflow with Map tasks
 * for the id and the email, the engine run until idle. Returns the admin route's answer for the profile
 * (to check its masking) and GetWorkflow's.
 */
export async function runSourceWorkflow(
  s: TestServer,
  o: SourceWorkflowOptions,
): Promise<{ shownProfile: { settings: Record<string, unknown> }; shownText: string; workflow: GetWorkflowCommandOutput }> {
  await s.client.send(new CreateDomainCommand({ DomainName: o.domain, DefaultExpirationDays: 30 }));
  await s.client.send(
    new PutProfileObjectTypeCommand({
      DomainName: o.domain,
      ObjectTypeName: o.objectType,
      Description: `${o.connectorType} records`,
      AllowProfileCreation: true,
      Fields: {
        [o.idField]: { Source: `_source.${o.idField}`, Target: `_custom.${o.idField}`, ContentType: 'STRING' },
        email: { Source: '_source.email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' },
      },
      Keys: { [o.idField]: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: [o.idField] }] },
    }),
  );
  const profile = uniqueProfileName(o.kind);
  const put = await fetch(`${s.url}/_profileflow/connector-profiles/${profile}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: o.kind, connectorTypes: [o.connectorType], settings: o.settings }),
  });
  const shownText = await put.text();
  assert.equal(put.status, 201, shownText);
  const member = Object.keys(o.sourceProperties)[0];
  let input = workflowRequest({ env: { domain: o.domain, objectType: o.objectType, profile }, Batches: o.batches });
  input = withMember(input, `${FLOW}.SourceFlowConfig`, {
    ConnectorType: o.connectorType,
    ConnectorProfileName: profile,
    SourceConnectorProperties: o.sourceProperties,
  });
  input = withMember(
    input,
    `${FLOW}.Tasks`,
    [o.idField, 'email'].map((field) => ({ TaskType: 'Map', SourceFields: [field], DestinationField: field, ConnectorOperator: { [member]: 'NO_OP' } })),
  );
  const { WorkflowId } = await s.client.send(new CreateIntegrationWorkflowCommand(input));
  await s.engine.runUntilIdle();
  const workflow = await s.client.send(new GetWorkflowCommand({ DomainName: o.domain, WorkflowId }));
  return { shownProfile: JSON.parse(shownText), shownText, workflow };
}

