import type { GetWorkflowStepsRequest, GetWorkflowStepsResponse } from '../api/shapes.generated.js';
import { paginate } from './paginate.js';
import { clip255 } from '../domain/workflow-plan/format.js';
import { stepWindowText } from '../domain/workflow-plan/status-text.js';
import type { Handler } from './context.js';
import { requireWorkflow } from './workflows-common.js';

/** Steps in execution order; splits append their halves, so they come after every earlier step. */
export const getWorkflowSteps: Handler<GetWorkflowStepsRequest, GetWorkflowStepsResponse> = async (ctx, input) => {
  const workflow = await requireWorkflow(ctx, input.DomainName, input.WorkflowId);
  const page = await paginate({
    tokens: ctx.tokens,
    binding: ['GetWorkflowSteps', ctx.scope, input.DomainName, input.WorkflowId],
    maxResults: input.MaxResults,
    nextToken: input.NextToken,
    fetch: (after: number | undefined, limit) => ctx.store.workflows.listSteps({ scope: ctx.scope, workflowId: input.WorkflowId, after, limit }),
    keyOf: (s) => s.stepNo,
  });
  return {
    WorkflowId: workflow.workflowId,
    WorkflowType: workflow.workflowType,
    Items: page.items.map((s) => {
      const window = stepWindowText(s);
      return {
        AppflowIntegration: {
          FlowName: s.flowName,
          Status: s.status,
          ExecutionMessage: clip255(s.executionMessage),
          RecordsProcessed: s.recordsProcessed,
          BatchRecordsStartTime: window.start,
          BatchRecordsEndTime: window.end,
          CreatedAt: new Date(s.createdAt),
          LastUpdatedAt: new Date(s.updatedAt),
        },
      };
    }),
    NextToken: page.nextToken,
  };
};
