import type { Generated } from 'kysely';

/**
 * The tables as Kysely sees them. Times are epoch milliseconds (bigint), structured values JSON text:
 * the two dialects agree on both. Every table leads with (account_id, region): nothing is ever read
 * without the caller's scope.
 */
import type { ColumnType } from 'kysely';
import type { ConnectionMode, ConnectorType, FlowStatus, TriggerType } from '../api/appflow/shapes.generated.js';

export interface Database {
  settings: { key: string; value: string };
  domains: DomainsTable;
  tags: TagsTable;
  object_types: ObjectTypesTable;
  profiles: ProfilesTable;
  profile_objects: ProfileObjectsTable;
  integrations: IntegrationsTable;
  connector_profiles: ConnectorProfilesTable;
  profile_keys: ProfileKeysTable;
  /** Key index entries waiting to be merged into profile_keys (017); the index is the three tables. */
  profile_keys_staged: ProfileKeysTable;
  /** Key index entries of the last writes, waiting to move into profile_keys_staged together (023). */
  profile_keys_recent: ProfileKeysTable;
  domain_ids: DomainIdsTable;
  workflows: WorkflowsTable;
  workflow_steps: WorkflowStepsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  domain_stats: DomainStatsTable;
  account_connector_profiles: AccountConnectorProfilesTable;
  flows: FlowsTable;
  profile_history: ProfileHistoryTable;
  profile_extra_keys: ProfileExtraKeysTable;
  flow_runs: FlowRunsTable;
  profile_merges: ProfileMergesTable;
  client_tokens: ClientTokensTable;
  domain_purges: DomainPurgesTable;
  object_type_purges: ObjectTypePurgesTable;
}

/**
 * The store's tables by name, and only those: a PostgreSQL schema shared with another application keeps
 * that application's tables out of what the store resets or analyzes. Typed by Database, so a table the
 * code uses cannot be left out.
 */
export const STORE_TABLES: Readonly<Record<keyof Database, true>> = {
  settings: true, domains: true, tags: true, object_types: true, profiles: true, profile_objects: true, integrations: true,
  connector_profiles: true, profile_keys: true, profile_keys_staged: true, profile_keys_recent: true, domain_ids: true, workflows: true, workflow_steps: true, webhook_deliveries: true,
  domain_stats: true, account_connector_profiles: true, flows: true, profile_history: true, profile_extra_keys: true, flow_runs: true,
  profile_merges: true, client_tokens: true, domain_purges: true, object_type_purges: true,
};

interface Scoped {
  account_id: string;
  region: string;
}

export interface DomainsTable extends Scoped {
  domain_name: string;
  default_expiration_days: number | null;
  default_encryption_key: string | null;
  dead_letter_queue_url: string | null;
  matching: string | null;
  rule_based_matching: string | null;
  data_store: string | null;
  created_at: number;
  updated_at: number;
}

export interface TagsTable extends Scoped {
  resource_arn: string;
  tag_key: string;
  tag_value: string;
}

export interface ObjectTypesTable extends Scoped {
  domain_name: string;
  object_type_name: string;
  definition: string;
  created_at: number;
  updated_at: number;
}

export interface ProfilesTable extends Scoped {
  domain_name: string;
  profile_id: string;
  attributes: string;
  /** JSON {attributePath: {t: objectTypeName, p: sourcePriority | null}} (002). */
  attribute_sources: string | null;
  /** 1 for a profile inferred from an object that mapped nothing onto it (002). */
  is_inferred: number;
  created_at: number;
  updated_at: number;
  /** The Id of the profile's CREATED history record while the row holds it (015); null once it is in profile_history. */
  created_record_id?: string | null;
  /** That record's PerformedBy (015). */
  created_by?: string | null;
}

export interface ProfileObjectsTable extends Scoped {
  domain_name: string;
  object_type_name: string;
  unique_key: string;
  profile_id: string;
  object: string;
  source_updated_at: number | null;
  size_bytes: number;
  /** JSON {keyName: value} of the object's keys (002). */
  key_values: string | null;
  created_at: number;
  updated_at: number;
  /** The Id of the version's INGESTED history record while the row holds it (018); null once it is in profile_history. */
  ingested_record_id?: string | null;
  /** That record's PerformedBy (018). */
  ingested_by?: string | null;
}

export interface IntegrationsTable extends Scoped {
  domain_name: string;
  uri: string;
  definition: string;
  workflow_id: string | null;
  /** 1 for an integration ListIntegrations shows only with include-hidden (002). */
  hidden: number;
  created_at: number;
  updated_at: number;
}

/** GetDomain's Stats, maintained with the rows they count (006). */
export interface DomainStatsTable extends Scoped {
  domain_name: string;
  profile_count: number;
  object_count: number;
  total_size: number;
}

/**
 * The key index an object finds its profile by (002), keyed by the domain's integer id (012): the one
 * table not led by (account_id, region), which `domain_ids` stands for.
 */
export interface ProfileKeysTable {
  domain_id: number;
  key_name: string;
  key_value: string;
  profile_id: string;
}

/** The integer id of each domain the key index holds entries for; never reused (012). */
export interface DomainIdsTable extends Scoped {
  domain_id: Generated<number>;
  domain_name: string;
}

export interface WorkflowsTable extends Scoped {
  workflow_id: string;
  domain_name: string;
  workflow_type: string;
  status: string;
  error_description: string | null;
  object_type_name: string;
  connector_type: string;
  connector_profile_name: string;
  role_arn: string;
  definition: string;
  records_processed: number;
  steps_completed: number;
  total_steps: number;
  deleted: number;
  created_at: number;
  started_at: number | null;
  updated_at: number;
}

export interface WorkflowStepsTable extends Scoped {
  workflow_id: string;
  step_no: number;
  domain_name: string;
  flow_name: string;
  status: string;
  execution_message: string;
  records_processed: number;
  /** Records read but dropped by tasks or rejected by the object type (005). */
  records_dropped: number;
  window_start: number;
  window_end: number;
  cursor: string | null;
  attempts: number;
  run_after: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  created_at: number;
  updated_at: number;
  /** Every record of the window before this instant (epoch ms) has been read; null when unknown (014). */
  read_through: number | null;
  /** The source's count of the window's records, taken before the read began; null when it gave none (014). */
  records_estimate: number | null;
}

/** Not scoped: connector profiles belong to the operator of the service, not to an AWS account. */
export interface ConnectorProfilesTable {
  name: string;
  kind: string;
  /** JSON array of SourceConnectorType values. */
  connector_types: string;
  /** JSON object. */
  settings: string;
  source: string;
  created_at: number;
  updated_at: number;
}

/** The webhook outbox (008): one row per (webhook URL, workflow, final status). */
export interface WebhookDeliveriesTable extends Scoped {
  delivery_id: string;
  domain_name: string;
  workflow_id: string;
  /** COMPLETE, FAILED or CANCELLED. */
  event: string;
  url: string;
  /** The JSON body, fixed when the delivery was queued. */
  body: string;
  /** PENDING, DELIVERED or FAILED (gave up). */
  status: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  delivered_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Connector profiles an account created through AppFlow (009): the account's own, beside the operator's. */
export interface AccountConnectorProfilesTable extends Scoped {
  name: string;
  /** AppFlow's ConnectorType (Salesforce, Servicenow, …). */
  connector_type: ConnectorType;
  connection_mode: ConnectionMode;
  kms_arn: string | null;
  /** JSON: the ConnectorProfileProperties as given (no credentials), answered by DescribeConnectorProfiles. */
  properties: string;
  /** The source kind that reads it, its SourceConnectorType values (JSON) and its settings (JSON, credentials included: never answered). */
  kind: string;
  connector_types: string;
  settings: string;
  created_at: number;
  updated_at: number;
}

/** AppFlow flows whose destination is Customer Profiles (009). Structured members are JSON in AppFlow's wire names. */
export interface FlowsTable extends Scoped {
  flow_name: string;
  flow_arn: string;
  description: string | null;
  kms_arn: string | null;
  status: FlowStatus;
  trigger_config: string;
  source_config: string;
  connector_type: ConnectorType;
  connector_profile_name: string | null;
  destination_config: string;
  domain_name: string;
  object_type_name: string | null;
  tasks: string;
  metadata_catalog_config: string | null;
  created_by: string;
  last_updated_by: string;
  /** The integration workflow that created it, when one did. */
  workflow_id: string | null;
  /** The Customer Profiles integration (its Uri, in domain_name) the flow belongs to, when Customer Profiles created it. */
  integration_uri: string | null;
  created_at: number;
  updated_at: number;
  /** TriggerConfig.triggerType, kept apart so the scheduler reads only scheduled flows (012). */
  trigger_type: TriggerType;
  /** The next tick a scheduled run is due for; null until the scheduler first sees the flow active. */
  next_run_at: number | null;
  /** End of the last successful run's window: where the next incremental run starts. */
  watermark: number | null;
  /** When the flow last became Active (CreateFlow, StartFlow, Customer Profiles). */
  activated_at: number | null;
  /** The end of the history its integration workflow loaded, when one did. */
  history_end: number | null;
  consecutive_failures: ColumnType<number, number | undefined, number>;
}

/** AppFlow flow runs (012): one ExecutionRecord each, moved by the lease machine. */
export interface FlowRunsTable extends Scoped {
  flow_name: string;
  execution_id: string;
  domain_name: string;
  trigger_type: string;
  /** AppFlow's ExecutionStatus: InProgress, CancelStarted, Successful, Error, Canceled. */
  status: string;
  lease_owner: string | null;
  lease_expires_at: number | null;
  run_after: number;
  attempts: number;
  cursor: string | null;
  window_start: number;
  window_end: number;
  records_processed: number;
  records_dropped: number;
  /** JSON object: reason → records dropped for it. */
  dropped_by_reason: string;
  error_message: string | null;
  started_at: number | null;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
}
/** One change to a profile (010). */
export interface ProfileHistoryTable extends Scoped {
  domain_name: string;
  profile_id: string;
  record_id: string;
  object_type_name: string;
  action_type: string;
  unique_key: string | null;
  /** JSON: the profile or the object as it was after the change. */
  content: string | null;
  performed_by: string;
  created_at: number;
  updated_at: number;
}

/** One MergeProfiles, as the event stream and webhooks announce it (013). */
export interface ProfileMergesTable extends Scoped {
  domain_name: string;
  merge_id: string;
  main_profile_id: string;
  /** JSON array: the profiles merged into the main one, in the request's order. */
  merged_profile_ids: string;
  merged_at: number;
}

/** An AppFlow clientToken and the answer of the write done under it (021). */
export interface ClientTokensTable extends Scoped {
  operation: string;
  /** The resource the token is scoped to; '' when it is scoped to the operation. */
  resource_name: string;
  client_token: string;
  /** requestFingerprint of the request (domain/client-token.ts). */
  fingerprint: string;
  /** The answer, JSON; null only inside the transaction that claims the token. */
  response: string | null;
  created_at: number;
}

/** Index entries of a profile that its attributes and objects do not show (010). */
export interface ProfileExtraKeysTable extends Scoped {
  domain_name: string;
  profile_id: string;
  key_name: string;
  key_value: string;
}

/** A deleted domain whose data is still being removed (022). */
export interface DomainPurgesTable extends Scoped {
  domain_name: string;
  /** The key index's id of the domain; null when it never had one. */
  domain_id: number | null;
  deleted_at: number;
}

/** A deleted object type whose objects and the profiles they filled are still being removed or scrubbed (022). */
export interface ObjectTypePurgesTable extends Scoped {
  domain_name: string;
  object_type_name: string;
  deleted_at: number;
  /** The last unique key whose object is gone; null before the first part. */
  objects_after: string | null;
  /** 1 once every object of the type is gone: the profiles' scrub goes on. */
  objects_done: number;
  /** The last profile id scrubbed; null before the first. */
  profiles_after: string | null;
}
