/** The AppFlow slice's repositories: connector profiles an account owns, flows into Customer Profiles, and the clientTokens of their writes. */
import type {
  ConnectionMode,
  ConnectorProfileProperties,
  ConnectorType,
  DestinationFlowConfig,
  FlowStatus,
  MetadataCatalogConfig,
  SourceFlowConfig,
  Task,
  TriggerConfig,
} from '../api/appflow/shapes.generated.js';
import type { ConnectorProfile } from '../connectors/types.js';
import type { Scope } from '../domain/scope.js';
import type { RowLock } from './profile-types.js';

/**
 * A connector profile created through AppFlow by one account, in one region. `properties` is what
 * DescribeConnectorProfiles answers; `settings` (from ConnectorProfile) is what the connector reads,
 * credentials included, and is never answered.
 */
export interface AccountConnectorProfileRecord extends ConnectorProfile {
  /** AppFlow's ConnectorType: Salesforce, Servicenow, Marketo, Zendesk. */
  connectorType: ConnectorType;
  connectionMode: ConnectionMode;
  kmsArn?: string;
  properties: ConnectorProfileProperties;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

export interface AccountConnectorProfileRepository {
  get(scope: Scope, name: string): Promise<AccountConnectorProfileRecord | undefined>;
  /** Ordered by name, keyset after `afterName`; narrowed to one AppFlow ConnectorType and/or to names. */
  list(
    scope: Scope,
    filter: { connectorType?: ConnectorType; names?: string[] },
    afterName: string | undefined,
    limit: number,
  ): Promise<AccountConnectorProfileRecord[]>;
  /** False when the account has a profile of that name already. */
  create(scope: Scope, profile: AccountConnectorProfileRecord): Promise<boolean>;
  /** Replaces everything but createdAt; false when it is gone. */
  update(scope: Scope, profile: AccountConnectorProfileRecord): Promise<boolean>;
  delete(scope: Scope, name: string): Promise<boolean>;
}

/**
 * A flow, its structured members as AppFlow's model types (the schedule's times as Dates; the store keeps
 * them as epoch milliseconds in the JSON), its own times as epoch milliseconds.
 */
export interface FlowRecord {
  flowName: string;
  flowArn: string;
  description?: string;
  kmsArn?: string;
  flowStatus: FlowStatus;
  triggerConfig: TriggerConfig;
  sourceFlowConfig: SourceFlowConfig;
  /** sourceFlowConfig.connectorType and .connectorProfileName, kept apart for lookups. */
  connectorType: ConnectorType;
  connectorProfileName?: string;
  destinationFlowConfigList: DestinationFlowConfig[];
  /** The Customer Profiles destination: its domain and object type. */
  domainName: string;
  objectTypeName?: string;
  tasks: Task[];
  metadataCatalogConfig?: MetadataCatalogConfig;
  createdBy: string;
  lastUpdatedBy: string;
  /** Set when Customer Profiles created the flow: the integration workflow, and/or the integration's Uri. */
  workflowId?: string;
  integrationUri?: string;
  createdAt: number;
  updatedAt: number;
  /** When the flow last became Active; written only when given. */
  activatedAt?: number;
  /** The end of the history its integration workflow loaded (incremental runs start there); written only when given. */
  historyEnd?: number;
  /** Schedule state, read only here (the run repository moves it): the next tick, the watermark, failures in a row. */
  nextRunAt?: number;
  watermark?: number;
  consecutiveFailures?: number;
}

/** What a workflow's description reads from the flow it created (ListWorkflows' StatusDescription). */
export type WorkflowFlow = Pick<FlowRecord, 'workflowId' | 'flowStatus' | 'triggerConfig' | 'createdAt' | 'activatedAt' | 'nextRunAt'>;

export interface FlowRepository {
  /** `lock`: held until the transaction ends where the backend has row locks (a read before a rewrite of the row). */
  get(scope: Scope, flowName: string, lock?: RowLock): Promise<FlowRecord | undefined>;
  /** Ordered by name, keyset after `afterName`. */
  list(scope: Scope, afterName: string | undefined, limit: number): Promise<FlowRecord[]>;
  /** False when a flow of that name exists already. */
  create(scope: Scope, flow: FlowRecord): Promise<boolean>;
  /** Replaces everything but createdAt and createdBy; false when it is gone. */
  update(scope: Scope, flow: FlowRecord): Promise<boolean>;
  /**
   * Creates, or replaces a flow Customer Profiles created for the same domain (createdAt and createdBy
   * kept): Customer Profiles' own writes. False, with nothing written, when the flow of that name was
   * created through AppFlow or for another domain (customer-profiles-flows.ts, flowNameProblem).
   */
  put(scope: Scope, flow: FlowRecord): Promise<boolean>;
  /** The flows the integration workflows named created (their ongoing updates), in one query: what describing them reads. */
  byWorkflows(scope: Scope, domainName: string, workflowIds: string[]): Promise<WorkflowFlow[]>;
  /** Deletes the flow and its runs (a new flow of the same name starts with no history). */
  delete(scope: Scope, flowName: string): Promise<boolean>;
  /** Deletes the flows a Customer Profiles integration created, and their runs; returns their ARNs (for their tags). */
  deleteByIntegration(scope: Scope, domainName: string, uri: string): Promise<string[]>;
  /** Deletes the flows Customer Profiles created in the domain (integrations, workflows) and their runs; returns their ARNs. */
  deleteByDomain(scope: Scope, domainName: string): Promise<string[]>;
  /** How many flows read through the account's connector profile of that name. */
  countUsing(scope: Scope, connectorProfileName: string): Promise<number>;
}

/**
 * Where an AppFlow clientToken applies: in the caller's account and region, one operation, and the one
 * resource it is scoped to ('' when its scope is the whole operation).
 */
export interface ClientTokenKey {
  operation: string;
  resourceName: string;
  clientToken: string;
}

/** A write done under a clientToken: the request's fingerprint and its answer (JSON). */
export interface ClientTokenRecord {
  fingerprint: string;
  response: string;
  /** Epoch milliseconds: when the write was done. */
  createdAt: number;
}

export interface ClientTokenRepository {
  /** The record of the key, if it was written after `since` (a token still active). */
  get(scope: Scope, key: ClientTokenKey, since: number): Promise<ClientTokenRecord | undefined>;
  /**
   * Takes the key for a write about to be done in this transaction (a record written at or before
   * `since` is replaced); false when an active record holds it. `complete` gives it its answer before commit.
   */
  claim(scope: Scope, key: ClientTokenKey, fingerprint: string, now: number, since: number): Promise<boolean>;
  complete(scope: Scope, key: ClientTokenKey, response: string): Promise<void>;
  /** Deletes at most `limit` records written at or before `before`, every account's, oldest first; returns how many. */
  purge(before: number, limit: number): Promise<number>;
}
