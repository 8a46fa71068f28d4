/**
 * The shapes the console reads, as they travel: the model's own types (src/api/shapes.generated.ts,
 * type-only, so nothing of the server is bundled) with timestamps as restJson1 sends them, epoch seconds.
 */
import type {
  AppflowIntegrationWorkflowStep,
  GetDomainResponse,
  GetProfileHistoryRecordResponse,
  GetProfileObjectTypeResponse,
  GetWorkflowResponse,
  GetWorkflowStepsResponse,
  ListDomainsResponse,
  ListIntegrationsResponse,
  ListProfileHistoryRecordsResponse,
  ListProfileObjectTypesResponse,
  ListWorkflowsResponse,
  Profile,
  ProfileHistoryRecord,
  SearchProfilesResponse,
  Status,
} from '../../src/api/shapes.generated.js';
import type {
  DescribeFlowExecutionRecordsResponse,
  DescribeFlowResponse,
  ExecutionRecord as AppflowExecutionRecord,
  ListFlowsResponse,
} from '../../src/api/appflow/shapes.generated.js';

/** A model shape on the wire: every Date member is a number of seconds since the epoch. */
export type Wire<T> = T extends Date
  ? number
  : T extends (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export type { Status };
export type ListDomains = Wire<ListDomainsResponse>;
export type Domain = Wire<GetDomainResponse>;
export type ListWorkflows = Wire<ListWorkflowsResponse>;
export type Workflow = Wire<GetWorkflowResponse>;
export type WorkflowSteps = Wire<GetWorkflowStepsResponse>;
export type WorkflowStep = Wire<AppflowIntegrationWorkflowStep>;
export type ListObjectTypes = Wire<ListProfileObjectTypesResponse>;
export type ObjectType = Wire<GetProfileObjectTypeResponse>;
export type SearchProfiles = Wire<SearchProfilesResponse>;
export type ProfileItem = Wire<Profile>;

/** The statuses a workflow takes (steps also use SPLIT and RETRY). */
export const WORKFLOW_STATUSES: readonly Status[] = ['NOT_STARTED', 'IN_PROGRESS', 'COMPLETE', 'FAILED', 'CANCELLED'];

/** A connector profile as the admin route answers it (secrets already masked by the server). */
export interface ConnectorProfile {
  name: string;
  kind: string;
  connectorTypes: string[];
  settings: Record<string, unknown>;
  source: string;
  /** ISO-8601. */
  createdAt: string;
  updatedAt: string;
}

/** GET /_profileflow/events: the data of a `workflow` or `step` event (src/server/change-feed.ts). */
export interface ChangeEvent {
  accountId: string;
  region: string;
  domainName: string;
  workflowId: string;
  status: string;
  recordsProcessed: number;
  stepNo?: number;
}

/** AppFlow's shapes (camelCase members, as its model spells them), with timestamps as epoch seconds. */
export type ListFlows = Wire<ListFlowsResponse>;
export type FlowListItem = NonNullable<ListFlows['flows']>[number];
export type Flow = Wire<DescribeFlowResponse>;
export type FlowExecutions = Wire<DescribeFlowExecutionRecordsResponse>;
export type FlowExecution = Wire<AppflowExecutionRecord>;
export type ListIntegrations = Wire<ListIntegrationsResponse>;
export type ListHistoryRecords = Wire<ListProfileHistoryRecordsResponse>;
export type HistoryRecord = Wire<ProfileHistoryRecord>;
export type HistoryRecordDetail = Wire<GetProfileHistoryRecordResponse>;
