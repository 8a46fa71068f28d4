import type { FlowDefinition } from '../api/shapes.generated.js';
import { domainArn, integrationArn } from '../domain/arns.js';
import { flowFromCustomerProfiles } from '../domain/appflow-flow.js';
import type { Scope } from '../domain/scope.js';
import type { FlowRecord } from './appflow-types.js';
import type { Store } from './types.js';

/**
 * Why a Customer Profiles integration of `domainName` cannot have the flow `existing` (of the FlowName it
 * was given), or undefined when it can. AppFlow keeps one flow of a name in an account and region, and
 * "an integration can belong to only one domain" (PutIntegration's documentation): a flow created for
 * another domain's integration is not taken over, and neither is one created through AppFlow's
 * CreateFlow, which Customer Profiles did not create [I: AppFlow answers a CreateFlow of a name it has
 * with a ConflictException]. Within one domain the flow passes to the integration that names it last.
 */
export function flowNameProblem(existing: FlowRecord | undefined, domainName: string): string | undefined {
  if (!existing) return undefined;
  if (existing.integrationUri === undefined) {
    return (
      `A flow named ${existing.flowName} already exists in AppFlow, created through CreateFlow, and Customer Profiles ` +
      'does not take over a flow it did not create: choose another FlowName, or delete that flow first (AppFlow DeleteFlow).'
    );
  }
  if (existing.domainName !== domainName) {
    return (
      `The flow ${existing.flowName} belongs to an integration of domain ${existing.domainName}, and an integration with its ` +
      'flow belongs to one domain only: choose another FlowName, or delete that integration first (DeleteIntegration).'
    );
  }
  return undefined;
}

/**
 * Records the AppFlow flow behind a Customer Profiles integration, so that it appears in AppFlow's
 * ListFlows and DescribeFlow under the FlowName the caller gave, with its trigger, source and the
 * Customer Profiles destination. Called by PutIntegration (with a FlowDefinition) and by the engine when
 * an integration workflow completes and creates its ongoing integration. Creates the flow, or replaces
 * one of the same domain's integrations (its creation time and author kept); Customer Profiles activates
 * the flows it creates, so it is Active. Answers why not (flowNameProblem), with nothing written, when
 * the name is another domain's or AppFlow's own; the callers throw it, so their transaction's other
 * writes (the integration) go too.
 */
export async function putCustomerProfilesFlow(
  store: Pick<Store, 'flows'>,
  scope: Scope,
  args: {
    domainName: string;
    objectTypeName?: string;
    flowDefinition: FlowDefinition;
    /** The integration's Uri (DeleteIntegration deletes the flow with it). */
    integrationUri: string;
    /** The integration workflow that created it, when one did. */
    workflowId?: string;
    /** The end of the history the workflow loaded: where the flow's first incremental run starts. */
    historyEnd?: number;
    now: number;
  },
): Promise<string | undefined> {
  const flow = flowFromCustomerProfiles(scope, args.flowDefinition, args.domainName, args.objectTypeName);
  const by = args.workflowId
    ? `${domainArn(scope, args.domainName)}/workflows/${args.workflowId}`
    : integrationArn(scope, args.domainName, args.integrationUri);
  const written = await store.flows.put(scope, {
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
  if (written) return undefined;
  // A refused upsert leaves the row there and, on PostgreSQL, locked until the transaction ends (SQLite
  // runs one transaction at a time): what it holds is what refused it.
  const problem = flowNameProblem(await store.flows.get(scope, flow.flowName), args.domainName);
  if (!problem) throw new Error(`The flow ${flow.flowName} was refused by the store but not by flowNameProblem.`);
  return problem;
}
