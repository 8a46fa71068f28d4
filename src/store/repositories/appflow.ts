import type { Kysely, Selectable } from 'kysely';
import type { SourceConnectorType } from '../../api/shapes.generated.js';
import type { ConnectorType } from '../../api/appflow/shapes.generated.js';
import type {
  AccountConnectorProfileRecord,
  AccountConnectorProfileRepository,
  FlowRecord,
  FlowRepository,
  WorkflowFlow,
} from '../appflow-types.js';
import type { AccountConnectorProfilesTable, Database, FlowsTable } from '../schema.js';
import { type AppflowStoredShape, asAppflowShape } from '../../domain/appflow-flow.js';
import { isJsonObject } from '../../domain/json-object.js';
import type { Scope } from '../../domain/scope.js';
import type { RowLock } from '../types.js';
import { CompiledReads } from './compiled-reads.js';
import { withRowLock } from './row-lock.js';

/** Sorted here by code point: PostgreSQL's ORDER BY follows the database's collation, SQLite's does not. */
function byName<T>(name: (t: T) => string) {
  return (a: T, b: T) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}

export class KyselyAccountConnectorProfileRepository implements AccountConnectorProfileRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private scoped(scope: Scope) {
    return this.db.selectFrom('account_connector_profiles').selectAll().where('account_id', '=', scope.accountId).where('region', '=', scope.region);
  }

  async get(scope: Scope, name: string): Promise<AccountConnectorProfileRecord | undefined> {
    const row = await this.scoped(scope).where('name', '=', name).executeTakeFirst();
    return row && profileFromRow(row);
  }

  async list(
    scope: Scope,
    filter: { connectorType?: ConnectorType; names?: string[] },
    afterName: string | undefined,
    limit: number,
  ): Promise<AccountConnectorProfileRecord[]> {
    if (filter.names && filter.names.length === 0) return [];
    let query = this.scoped(scope);
    if (filter.connectorType) query = query.where('connector_type', '=', filter.connectorType);
    if (filter.names) query = query.where('name', 'in', filter.names);
    // An account holds few profiles: read them and cut the page here, in code-point order on both dialects.
    const rows = (await query.execute()).map(profileFromRow).sort(byName((p) => p.name));
    return rows.filter((p) => afterName === undefined || p.name > afterName).slice(0, limit);
  }

  async create(scope: Scope, profile: AccountConnectorProfileRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('account_connector_profiles')
      .values(profileToRow(scope, profile))
      .onConflict((oc) => oc.columns(['account_id', 'region', 'name']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async update(scope: Scope, profile: AccountConnectorProfileRecord): Promise<boolean> {
    const { created_at: _created, account_id: _a, region: _r, name: _n, ...set } = profileToRow(scope, profile);
    const result = await this.db
      .updateTable('account_connector_profiles')
      .set(set)
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('name', '=', profile.name)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delete(scope: Scope, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('account_connector_profiles')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}

function profileToRow(scope: Scope, p: AccountConnectorProfileRecord): AccountConnectorProfilesTable {
  return {
    account_id: scope.accountId,
    region: scope.region,
    name: p.name,
    connector_type: p.connectorType,
    connection_mode: p.connectionMode,
    kms_arn: p.kmsArn ?? null,
    properties: JSON.stringify(p.properties),
    kind: p.kind,
    connector_types: JSON.stringify(p.connectorTypes),
    settings: JSON.stringify(p.settings),
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

function profileFromRow(row: AccountConnectorProfilesTable): AccountConnectorProfileRecord {
  return {
    name: row.name,
    connectorType: row.connector_type,
    connectionMode: row.connection_mode,
    kmsArn: row.kms_arn ?? undefined,
    properties: stored('ConnectorProfileProperties', row.properties),
    kind: row.kind,
    connectorTypes: JSON.parse(row.connector_types) as SourceConnectorType[],
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** A ListWorkflows page's worth: the compiled lookups stay at most this many shapes. */
const MAX_IDS_PER_LOOKUP = 100;

export class KyselyFlowRepository implements FlowRepository {
  private readonly reads: CompiledReads;

  constructor(
    private readonly db: Kysely<Database>,
    /** Whether the backend has concurrent writers, and so row locks (PostgreSQL). */
    private readonly rowLocks = false,
  ) {
    this.reads = new CompiledReads(db);
  }

  private scoped(scope: Scope) {
    return this.db.selectFrom('flows').selectAll().where('account_id', '=', scope.accountId).where('region', '=', scope.region);
  }

  async get(scope: Scope, flowName: string, lock?: RowLock): Promise<FlowRecord | undefined> {
    const row = await withRowLock(this.scoped(scope).where('flow_name', '=', flowName), lock, this.rowLocks).executeTakeFirst();
    return row && flowFromRow(row);
  }

  async list(scope: Scope, afterName: string | undefined, limit: number): Promise<FlowRecord[]> {
    let query = this.scoped(scope);
    if (afterName !== undefined) query = query.where('flow_name', '>', afterName);
    // Flow names are ASCII by their pattern ([a-zA-Z0-9][\w!@#.-]+), where every collation in use
    // agrees with code-point order, so the keyset can be cut in SQL; the sort below only makes sure.
    const rows = await query.orderBy('flow_name').limit(limit).execute();
    return rows.map(flowFromRow).sort(byName((f) => f.flowName));
  }

  async create(scope: Scope, flow: FlowRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('flows')
      .values(flowToRow(scope, flow))
      .onConflict((oc) => oc.columns(['account_id', 'region', 'flow_name']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async update(scope: Scope, flow: FlowRecord): Promise<boolean> {
    const { created_at: _c, created_by: _b, account_id: _a, region: _r, flow_name: _n, ...set } = flowToRow(scope, flow);
    const result = await this.db
      .updateTable('flows')
      .set(set)
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('flow_name', '=', flow.flowName)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async put(scope: Scope, flow: FlowRecord): Promise<boolean> {
    const row = flowToRow(scope, flow);
    const { created_at: _c, created_by: _b, account_id: _a, region: _r, flow_name: _n, ...set } = row;
    // One upsert: a workflow completing while PutIntegration writes the same flow must not fail either,
    // and the owner is checked in the same statement, so a concurrent writer cannot slip between.
    const result = await this.db
      .insertInto('flows')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'region', 'flow_name'])
          .doUpdateSet(set)
          .where('flows.domain_name', '=', row.domain_name)
          .where('flows.integration_uri', 'is not', null),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async byWorkflows(scope: Scope, domainName: string, workflowIds: string[]): Promise<WorkflowFlow[]> {
    const found: WorkflowFlow[] = [];
    for (let i = 0; i < workflowIds.length; i += MAX_IDS_PER_LOOKUP) found.push(...(await this.flowsOf(scope, domainName, workflowIds.slice(i, i + MAX_IDS_PER_LOOKUP))));
    return found;
  }

  /**
   * Every ListWorkflows page runs this, so it is compiled once per number of ids (at most a page's):
   * building an IN list of a hundred values cost more than running it. Only the columns a description
   * reads, through flows_by_workflow (migration 016).
   */
  private async flowsOf(scope: Scope, domainName: string, workflowIds: string[]): Promise<WorkflowFlow[]> {
    if (workflowIds.length === 0) return [];
    const values = { accountId: scope.accountId, region: scope.region, domainName, workflowIds };
    const rows = await this.reads.rows(`byWorkflows:${workflowIds.length}`, values, (p) =>
      this.db
        .selectFrom('flows')
        .select(['workflow_id', 'status', 'trigger_config', 'created_at', 'activated_at', 'next_run_at'])
        .where('account_id', '=', p('accountId'))
        .where('region', '=', p('region'))
        .where(
          'workflow_id',
          'in',
          workflowIds.map((_, i) => p('workflowIds', i)),
        )
        .where('domain_name', '=', p('domainName')),
    );
    return rows.map((row) => ({
      workflowId: row.workflow_id ?? undefined,
      flowStatus: row.status,
      triggerConfig: stored('TriggerConfig', row.trigger_config),
      createdAt: Number(row.created_at),
      activatedAt: row.activated_at === null ? undefined : Number(row.activated_at),
      nextRunAt: row.next_run_at === null ? undefined : Number(row.next_run_at),
    }));
  }

  /**
   * Why the runs go with the flow, in the caller's transaction: a run belongs to one flow's life; a new
   * flow of the same name must not list its predecessor's runs. An active run's holder then finds its
   * row gone at its next guarded write and stops ('lost'), committing nothing more.
   */
  async delete(scope: Scope, flowName: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('flows')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('flow_name', '=', flowName)
      .executeTakeFirst();
    const deleted = Number(result.numDeletedRows) === 1;
    if (deleted) await this.deleteRuns(scope, [flowName]);
    return deleted;
  }

  async deleteByIntegration(scope: Scope, domainName: string, uri: string): Promise<string[]> {
    const rows = await this.db
      .deleteFrom('flows')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('integration_uri', '=', uri)
      .returning(['flow_arn', 'flow_name'])
      .execute();
    await this.deleteRuns(scope, rows.map((r) => r.flow_name));
    return rows.map((r) => r.flow_arn);
  }

  /**
   * The flows Customer Profiles created in a domain (for its integrations or workflows) go with the
   * domain, runs and all; a flow made through AppFlow stays (it is AppFlow's resource), kept from running
   * by the run machine's flow-still-runs condition. Returns their ARNs (for their tags).
   */
  async deleteByDomain(scope: Scope, domainName: string): Promise<string[]> {
    const rows = await this.db
      .deleteFrom('flows')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where((eb) => eb.or([eb('integration_uri', 'is not', null), eb('workflow_id', 'is not', null)]))
      .returning(['flow_arn', 'flow_name'])
      .execute();
    await this.deleteRuns(scope, rows.map((r) => r.flow_name));
    return rows.map((r) => r.flow_arn);
  }

  private async deleteRuns(scope: Scope, flowNames: string[]): Promise<void> {
    if (flowNames.length === 0) return;
    await this.db
      .deleteFrom('flow_runs')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('flow_name', 'in', flowNames)
      .execute();
  }

  async countUsing(scope: Scope, connectorProfileName: string): Promise<number> {
    const row = await this.db
      .selectFrom('flows')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('connector_profile_name', '=', connectorProfileName)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}

/**
 * JSON with timestamps (a schedule's start and end, as Dates) as epoch milliseconds, which `stored`
 * reads back into Dates. The replacer reads the raw member, because Date.prototype.toJSON has already
 * turned it into text by the time the replacer's value arrives.
 */
function json(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() : v;
  });
}

/** A structured member read back from its JSON as its AppFlow shape (epoch milliseconds back into Dates). */
function stored<N extends AppflowStoredShape>(shapeName: N, text: string) {
  const value: unknown = JSON.parse(text);
  if (!isJsonObject(value)) throw new Error(`A stored ${shapeName} is not a JSON object.`);
  return asAppflowShape(shapeName, value);
}

function storedList<N extends AppflowStoredShape>(shapeName: N, text: string) {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every(isJsonObject)) throw new Error(`A stored ${shapeName} list is not a list of JSON objects.`);
  return value.map((item) => asAppflowShape(shapeName, item));
}

/** The schedule state the run repository moves; a flow's own writes leave it alone. */
type ScheduleState = 'next_run_at' | 'watermark' | 'consecutive_failures' | 'activated_at' | 'history_end';

function flowToRow(scope: Scope, f: FlowRecord): Omit<FlowsTable, ScheduleState> & { activated_at?: number; history_end?: number } {
  return {
    account_id: scope.accountId,
    region: scope.region,
    flow_name: f.flowName,
    flow_arn: f.flowArn,
    description: f.description ?? null,
    kms_arn: f.kmsArn ?? null,
    status: f.flowStatus,
    trigger_config: json(f.triggerConfig),
    source_config: json(f.sourceFlowConfig),
    connector_type: f.connectorType,
    connector_profile_name: f.connectorProfileName ?? null,
    destination_config: json(f.destinationFlowConfigList),
    domain_name: f.domainName,
    object_type_name: f.objectTypeName ?? null,
    tasks: json(f.tasks),
    metadata_catalog_config: f.metadataCatalogConfig ? json(f.metadataCatalogConfig) : null,
    created_by: f.createdBy,
    last_updated_by: f.lastUpdatedBy,
    workflow_id: f.workflowId ?? null,
    integration_uri: f.integrationUri ?? null,
    created_at: f.createdAt,
    updated_at: f.updatedAt,
    trigger_type: f.triggerConfig.triggerType ?? 'OnDemand',
    // Written only when the caller says (activation, a workflow's history): a plain update keeps them.
    ...(f.activatedAt !== undefined ? { activated_at: f.activatedAt } : {}),
    ...(f.historyEnd !== undefined ? { history_end: f.historyEnd } : {}),
  };
}

export function flowFromRow(row: Selectable<FlowsTable>): FlowRecord {
  return {
    flowName: row.flow_name,
    flowArn: row.flow_arn,
    description: row.description ?? undefined,
    kmsArn: row.kms_arn ?? undefined,
    flowStatus: row.status,
    triggerConfig: stored('TriggerConfig', row.trigger_config),
    sourceFlowConfig: stored('SourceFlowConfig', row.source_config),
    connectorType: row.connector_type,
    connectorProfileName: row.connector_profile_name ?? undefined,
    destinationFlowConfigList: storedList('DestinationFlowConfig', row.destination_config),
    domainName: row.domain_name,
    objectTypeName: row.object_type_name ?? undefined,
    tasks: storedList('Task', row.tasks),
    metadataCatalogConfig: row.metadata_catalog_config ? stored('MetadataCatalogConfig', row.metadata_catalog_config) : undefined,
    createdBy: row.created_by,
    lastUpdatedBy: row.last_updated_by,
    workflowId: row.workflow_id ?? undefined,
    integrationUri: row.integration_uri ?? undefined,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    activatedAt: row.activated_at === null ? undefined : Number(row.activated_at),
    historyEnd: row.history_end === null ? undefined : Number(row.history_end),
    nextRunAt: row.next_run_at === null ? undefined : Number(row.next_run_at),
    watermark: row.watermark === null ? undefined : Number(row.watermark),
    consecutiveFailures: Number(row.consecutive_failures),
  };
}
