import { ResourceNotFoundException, ValidationException } from '../../api/appflow/errors.js';
import { resolveConnectorProfile } from '../../connectors/resolve-profile.js';
import { appflowConnectorProfileArn, appflowFlowArn, parseAppflowArn } from '../../domain/arns.js';
import { scheduleProblem } from '../../domain/flow-trigger.js';
import type { ConnectorProfile, ConnectorType, CreateFlowRequest, SourceConnectorProperties } from '../../api/appflow/shapes.generated.js';
import type { AccountConnectorProfileRecord, FlowRecord, RowLock } from '../../store/types.js';
import type { OperationContext } from '../context.js';

/** "The default for maxResults is 20 (for all paginated API operations)" (the AppFlow model's documentation). */
export const APPFLOW_DEFAULT_MAX_RESULTS = 20;

/** Who did it, for createdBy/lastUpdatedBy: the caller's account (profileflow knows keys, not IAM users). */
export function callerArn(ctx: OperationContext): string {
  return `arn:aws:iam::${ctx.scope.accountId}:root`;
}

/** The source connector types profileflow reads, with their member in sourceConnectorProperties. */
const SOURCE_MEMBERS: Partial<Record<ConnectorType, keyof SourceConnectorProperties>> = {
  Salesforce: 'Salesforce',
  Servicenow: 'ServiceNow',
  Marketo: 'Marketo',
  Zendesk: 'Zendesk',
  S3: 'S3',
};

/** The members of CreateFlow/UpdateFlow that describe where a flow reads and writes. */
export type FlowShapeInput = Pick<CreateFlowRequest, 'flowName' | 'triggerConfig' | 'sourceFlowConfig' | 'destinationFlowConfigList' | 'tasks'>;

/**
 * Checks what profileflow can hold of a flow: one destination, Customer Profiles, whose domain (and
 * object type, when named) exist in the caller's account and region; a source profileflow reads, with
 * its properties, through a connector profile the caller may use (its own, or the operator's) that
 * serves that connector type.
 */
export async function checkFlow(ctx: OperationContext, input: FlowShapeInput): Promise<{ domainName: string; objectTypeName?: string }> {
  const schedule = scheduleProblem(input.triggerConfig, ctx.clock.now());
  if (schedule) throw new ValidationException(schedule);
  const destinations = input.destinationFlowConfigList;
  if (destinations.length !== 1) {
    throw new ValidationException(`A flow takes exactly one destination in destinationFlowConfigList here (Customer Profiles), got ${destinations.length}.`);
  }
  const destination = destinations[0];
  if (destination.connectorType !== 'CustomerProfiles') {
    throw new ValidationException(
      `The destination connector type ${destination.connectorType} is not supported: profileflow serves flows whose destination is CustomerProfiles.`,
    );
  }
  const props = destination.destinationConnectorProperties.CustomerProfiles;
  if (!props) {
    throw new ValidationException('destinationFlowConfigList.1.destinationConnectorProperties.CustomerProfiles is required for the CustomerProfiles destination.');
  }
  const { domainName, objectTypeName } = props;
  if (!(await ctx.store.domains.get(ctx.scope, domainName))) {
    throw new ResourceNotFoundException(`The Customer Profiles domain ${domainName} of the destination does not exist.`);
  }
  if (objectTypeName !== undefined && !(await ctx.store.objectTypes.get(ctx.scope, domainName, objectTypeName))) {
    throw new ResourceNotFoundException(`The object type ${objectTypeName} of the destination does not exist in domain ${domainName}.`);
  }

  const source = input.sourceFlowConfig;
  const type = source.connectorType;
  const member = SOURCE_MEMBERS[type];
  if (!member) {
    throw new ValidationException(`The source connector type ${type} is not supported: profileflow reads ${Object.keys(SOURCE_MEMBERS).join(', ')}.`);
  }
  if (!source.sourceConnectorProperties[member]) {
    throw new ValidationException(`sourceFlowConfig.sourceConnectorProperties.${member} is required for the source connector type ${type}.`);
  }
  const profileName = source.connectorProfileName;
  if (profileName === undefined) {
    if (type !== 'S3') throw new ValidationException(`sourceFlowConfig.connectorProfileName is required for the source connector type ${type}.`);
  } else {
    const profile = await resolveConnectorProfile(ctx.store, ctx.scope, profileName);
    if (!profile) throw new ResourceNotFoundException(`The connector profile ${profileName} does not exist.`);
    if (!profile.connectorTypes.some((t) => t === type)) {
      throw new ValidationException(`The connector profile ${profileName} does not serve the connector type ${type}; it serves ${profile.connectorTypes.join(', ')}.`);
    }
  }
  return { domainName, objectTypeName };
}

export async function requireFlow(ctx: Pick<OperationContext, 'store' | 'scope'>, flowName: string, lock?: RowLock): Promise<FlowRecord> {
  const flow = await ctx.store.flows.get(ctx.scope, flowName, lock);
  if (!flow) throw new ResourceNotFoundException(`The flow ${flowName} does not exist.`);
  return flow;
}

export async function requireOwnProfile(ctx: OperationContext, name: string): Promise<AccountConnectorProfileRecord> {
  const profile = await ctx.store.accountConnectorProfiles.get(ctx.scope, name);
  if (!profile) throw new ResourceNotFoundException(`The connector profile ${name} does not exist.`);
  return profile;
}

/** DescribeConnectorProfiles' item: properties only; credentials are write-only and never answered. */
export function connectorProfileOutput(ctx: OperationContext, p: AccountConnectorProfileRecord): ConnectorProfile {
  return {
    connectorProfileArn: appflowConnectorProfileArn(ctx.scope, p.name),
    connectorProfileName: p.name,
    connectorType: p.connectorType,
    connectionMode: p.connectionMode,
    connectorProfileProperties: p.properties,
    createdAt: new Date(p.createdAt),
    lastUpdatedAt: new Date(p.updatedAt),
  };
}

/**
 * The flow an ARN names, in the caller's account and region only: any other ARN answers as a missing
 * resource, so nothing is learnt about another account. Flows are the taggable resource here.
 */
export async function requireTaggableFlow(ctx: OperationContext, arn: string): Promise<FlowRecord> {
  const parsed = parseAppflowArn(arn);
  if (!parsed.ok) throw new ValidationException(`The resource ARN ${arn} is not valid: ${parsed.reason}.`);
  const notFound = new ResourceNotFoundException(`The resource ${arn} does not exist.`);
  if (parsed.resource.kind !== 'flow' || appflowFlowArn(ctx.scope, parsed.resource.name) !== arn) throw notFound;
  const flow = await ctx.store.flows.get(ctx.scope, parsed.resource.name);
  if (!flow) throw notFound;
  return flow;
}

/** "You can associate as many as 50 tags with a resource" (AppFlow TagResource: TagMap holds at most 50). */
export const MAX_TAGS_PER_RESOURCE = 50;

export function checkTagCount(arn: string, existing: Record<string, string>, added: Record<string, string>): void {
  const count = new Set([...Object.keys(existing), ...Object.keys(added)]).size;
  if (count > MAX_TAGS_PER_RESOURCE) {
    throw new ValidationException(`The resource ${arn} would have ${count} tags: a resource can have at most ${MAX_TAGS_PER_RESOURCE} tags.`);
  }
}

