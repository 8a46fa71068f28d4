import { BadRequestException, ResourceNotFoundException } from '../api/errors.js';
import type { PutIntegrationRequest, PutIntegrationResponse } from '../api/shapes.generated.js';
import { asAppflowShape } from '../domain/appflow-flow.js';
import { integrationArn } from '../domain/arns.js';
import { checkRunnableTasks } from '../domain/flow-tasks.js';
import { scheduleProblem } from '../domain/flow-trigger.js';
import { requireValid } from './problems.js';
import { putCustomerProfilesFlow } from '../store/customer-profiles-flows.js';
import type { IntegrationRecord } from '../store/types.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { integrationOutput } from './profile-common.js';
import { checkTagLimit } from './tagging.js';

/**
 * Creates or replaces the integration named by its Uri. The model leaves Uri optional, but an
 * integration is addressed by it everywhere else, so it is required here. Exactly one of ObjectTypeName
 * and ObjectTypeNames names the object types it ingests into, and they must exist. Replacing keeps
 * CreatedAt and the workflow that created it; Tags are added to the integration's tags.
 */
export const putIntegration: Handler<PutIntegrationRequest, PutIntegrationResponse> = async (ctx, input) => {
  if (input.Uri === undefined) {
    throw new BadRequestException(
      "Uri is required: it names the integration's data source (an S3 bucket, an AppFlow flow ARN, ...).",
    );
  }
  const uri = input.Uri;
  const hasName = input.ObjectTypeName !== undefined;
  const hasNames = input.ObjectTypeNames !== undefined;
  if (hasName === hasNames) {
    throw new BadRequestException(
      hasName
        ? 'Give either ObjectTypeName or ObjectTypeNames, not both.'
        : 'Give ObjectTypeName (the object type the integration ingests into) or ObjectTypeNames (one per event type).',
    );
  }
  if (hasNames && Object.keys(input.ObjectTypeNames ?? {}).length === 0) {
    throw new BadRequestException('ObjectTypeNames is empty: map at least one event type to an object type.');
  }
  if (input.FlowDefinition) requireValid(checkRunnableTasks(input.FlowDefinition));
  const now = ctx.clock.now();
  const schedule = input.FlowDefinition && scheduleProblem(asAppflowShape('TriggerConfig', input.FlowDefinition.TriggerConfig), now);
  if (schedule) throw new BadRequestException(schedule);
  const arn = integrationArn(ctx.scope, input.DomainName, uri);
  return ctx.store.transaction(async (store) => {
    await requireDomain({ ...ctx, store }, input.DomainName);
    const referenced = [...new Set(hasName ? [input.ObjectTypeName as string] : Object.values(input.ObjectTypeNames ?? {}))];
    for (const name of referenced) {
      if (!(await store.objectTypes.get(ctx.scope, input.DomainName, name))) {
        throw new ResourceNotFoundException(`Object type ${name} was not found in domain ${input.DomainName}.`);
      }
    }
    const existing = await store.integrations.get(ctx.scope, input.DomainName, uri);
    const record: IntegrationRecord = {
      uri,
      objectTypeName: input.ObjectTypeName,
      objectTypeNames: input.ObjectTypeNames,
      roleArn: input.RoleArn || undefined,
      eventTriggerNames: input.EventTriggerNames,
      scope: input.Scope,
      flowDefinition: input.FlowDefinition,
      workflowId: existing?.workflowId,
      isUnstructured: existing?.isUnstructured,
      hidden: existing?.hidden,
      createdAt: existing?.createdAt ?? now,
      updatedAt: Math.max(now, existing?.createdAt ?? now),
    };
    await store.integrations.put(ctx.scope, input.DomainName, record);
    // The flow behind it, visible through AppFlow's ListFlows/DescribeFlow under the FlowName given.
    if (input.FlowDefinition) {
      const taken = await putCustomerProfilesFlow(store, ctx.scope, {
        domainName: input.DomainName,
        objectTypeName: input.ObjectTypeName,
        flowDefinition: input.FlowDefinition,
        integrationUri: uri,
        workflowId: existing?.workflowId,
        now,
      });
      // Thrown inside the transaction: the integration written above goes with it.
      if (taken) throw new BadRequestException(taken);
    }
    if (input.Tags) {
      checkTagLimit(arn, await store.tags.get(ctx.scope, arn), input.Tags);
      await store.tags.put(ctx.scope, arn, input.Tags);
    }
    return integrationOutput(input.DomainName, record, await store.tags.get(ctx.scope, arn));
  });
};
