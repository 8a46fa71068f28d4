import type { FlowDefinition } from '../api/shapes.generated.js';
import { domainArn, integrationArn } from '../domain/arns.js';
import { flowFromCustomerProfiles } from '../domain/appflow-flow.js';
import type { Scope } from '../domain/scope.js';
import type { Store } from './types.js';

/**
 * Records the AppFlow flow behind a Customer Profiles integration, so that it appears in AppFlow's
 * ListFlows and DescribeFlow under the FlowName the caller gave, with its trigger, source and the
 * Customer Profiles destination. Called by PutIntegration (with a FlowDefinition) and by the engine when
 * an integration workflow completes and creates its ongoing integration. Creates or replaces the flow
 * (its creation time and author kept); Customer Profiles activates the flows it creates, so it is Active.
 */
export async function putCustomerProfilesFlow(
  store: Pick<Store, 'flows'>,
  scope: Scope,
  args: {
    domainName: string;
    objectTypeName?: string;
    flowDefinition: FlowDefinition;
    /** The integration's Uri, when the flow belongs to one (DeleteIntegration then deletes it). */
    integrationUri?: string;
    /** The integration workflow that created it, when one did. */
    workflowId?: string;
    /** The end of the history the workflow loaded: where the flow's first incremental run starts. */
    historyEnd?: number;
    now: number;
  },
): Promise<void> {
  const flow = flowFromCustomerProfiles(scope, args.flowDefinition, args.domainName, args.objectTypeName);
  const by = args.workflowId
    ? `${domainArn(scope, args.domainName)}/workflows/${args.workflowId}`
    : integrationArn(scope, args.domainName, args.integrationUri ?? flow.flowArn);
  await store.flows.put(scope, {
    ...flow,
    flowStatus: 'Active',
    domainName: args.domainName,
    objectTypeName: args.objectTypeName,
    createdBy: by,
    lastUpdatedBy: by,
    workflowId: args.workflowId,
    integrationUri: args.integrationUri,
    createdAt: args.now,
    updatedAt: args.now,
    activatedAt: args.now,
    historyEnd: args.historyEnd,
  });
}
