import { BadRequestException, InternalServerException, ResourceNotFoundException } from '../api/errors.js';
import type { CreateIntegrationWorkflowRequest, CreateIntegrationWorkflowResponse } from '../api/shapes.generated.js';
import { resolveConnectorProfile } from '../connectors/resolve-profile.js';
import { newWorkflowId } from '../domain/ids.js';
import { asAppflowShape } from '../domain/appflow-flow.js';
import { checkRunnableTasks } from '../domain/flow-tasks.js';
import { scheduleProblem } from '../domain/flow-trigger.js';
import { sourceObjectOf } from '../domain/source-flow.js';
import { iso } from '../domain/workflow-plan/format.js';
import { newStep, planWindows } from '../domain/workflow-plan/windows.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { requireValid } from './problems.js';
import { flowNameProblem } from '../store/customer-profiles-flows.js';

/** Ids drawn before giving up: only a seed replayed over thousands of stored workflows gets near it. */
const MAX_ID_DRAWS = 10_000;

/**
 * Validates everything a step would otherwise fail on later (the object type, the connector profile and
 * whether it serves the ConnectorType, the source object, the Tasks, the batches), then records the
 * workflow and its planned steps in one transaction and wakes the engine. The ingestion is asynchronous.
 */
export const createIntegrationWorkflow: Handler<CreateIntegrationWorkflowRequest, CreateIntegrationWorkflowResponse> = async (
  ctx,
  input,
) => {
  await requireDomain(ctx, input.DomainName);
  const appflow = input.IntegrationConfig.AppflowIntegration;
  if (!appflow) {
    throw new BadRequestException('IntegrationConfig.AppflowIntegration is required for an APPFLOW_INTEGRATION workflow.');
  }
  const flow = appflow.FlowDefinition;
  const source = flow.SourceFlowConfig;

  const objectType = await ctx.store.objectTypes.get(ctx.scope, input.DomainName, input.ObjectTypeName);
  if (!objectType) {
    throw new ResourceNotFoundException(`Object type ${input.ObjectTypeName} was not found in domain ${input.DomainName}.`);
  }
  if (!source.ConnectorProfileName) {
    throw new BadRequestException(
      'FlowDefinition.SourceFlowConfig.ConnectorProfileName is required: it names the connector profile records are read through.',
    );
  }
  const profile = await resolveConnectorProfile(ctx.store, ctx.scope, source.ConnectorProfileName);
  if (!profile) {
    throw new BadRequestException(`Connector profile ${source.ConnectorProfileName} does not exist.`);
  }
  if (!profile.connectorTypes.includes(source.ConnectorType)) {
    throw new BadRequestException(
      `Connector profile ${source.ConnectorProfileName} does not serve ConnectorType ${source.ConnectorType}; it serves ${profile.connectorTypes.join(', ')}.`,
    );
  }
  requireValid(sourceObjectOf(source));
  requireValid(checkRunnableTasks(flow));
  // The ongoing integration the workflow ends with needs this flow: a name that is not this domain's to
  // take is refused now, not found taken after the history is loaded.
  const taken = flowNameProblem(await ctx.store.flows.get(ctx.scope, flow.FlowName), input.DomainName);
  if (taken) throw new BadRequestException(taken);

  const now = ctx.clock.now();
  // The ongoing flow runs on this schedule once the history is loaded: a schedule that could never run
  // is refused now, not found silent after the history.
  const schedule = scheduleProblem(asAppflowShape('TriggerConfig', flow.TriggerConfig), now);
  if (schedule) throw new BadRequestException(schedule);
  const windows = requireValid(planWindows(appflow.Batches, flow.TriggerConfig.TriggerProperties?.Scheduled?.FirstExecutionFrom, now));
  // A seeded id sequence starts over at every re-seed, so its next id may belong to a workflow created
  // before (in any account): such an id is skipped, as a random one would never have been drawn.
  let workflowId = '';
  const steps = windows.map((w) => newStep(w, `Waiting to ingest records from ${iso(w.start)} to ${iso(w.end)}.`));
  for (let attempt = 0; ; attempt++) {
    const id = newWorkflowId();
    const created = await ctx.store.transaction((store) =>
      store.workflows.create(
        ctx.scope,
        {
          workflowId: id,
          domainName: input.DomainName,
          workflowType: input.WorkflowType,
          status: 'NOT_STARTED',
          objectTypeName: input.ObjectTypeName,
          connectorType: source.ConnectorType,
          connectorProfileName: source.ConnectorProfileName!,
          roleArn: input.RoleArn,
          definition: { flowDefinition: flow, tags: input.Tags },
          recordsProcessed: 0,
          stepsCompleted: 0,
          totalSteps: steps.length,
          createdAt: now,
          updatedAt: now,
        },
        steps,
      ),
    );
    if (created) {
      workflowId = id;
      break;
    }
    if (attempt >= MAX_ID_DRAWS) throw new InternalServerException();
  }
  ctx.engine?.wake();
  return {
    WorkflowId: workflowId,
    Message: `Integration workflow ${workflowId} was created with ${steps.length} step${steps.length === 1 ? '' : 's'}.`,
  };
};
