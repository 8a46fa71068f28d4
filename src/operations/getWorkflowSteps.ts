import type { GetWorkflowStepsRequest, GetWorkflowStepsResponse } from '../api/shapes.generated.js';
import { paginate } from './paginate.js';
import { clip255 } from '../domain/workflow-plan/format.js';
import { stepWindowText } from '../domain/workflow-plan/status-text.js';
import type { Handler } from './context.js';
import type { WorkflowStepPage } from '../store/workflow-types.js';
import { readCheckedWhenEmpty, requireWorkflow } from './workflows-common.js';

/** Steps in execution order; splits append their halves, so they come after every earlier step. */
export const getWorkflowSteps: Handler<GetWorkflowStepsRequest, GetWorkflowStepsResponse> = async (ctx, input) => {
  let workflowType: WorkflowStepPage['workflowType'];
  const { page, checked } = await readCheckedWhenEmpty(
    () => requireWorkflow(ctx, input.DomainName, input.WorkflowId),
    () =>
      paginate({
        tokens: ctx.tokens,
        binding: ['GetWorkflowSteps', ctx.scope, input.DomainName, input.WorkflowId],
        maxResults: input.MaxResults,
        nextToken: input.NextToken,
        fetch: async (after: number | undefined, limit) => {
          const read = await ctx.store.workflows.stepPage({ scope: ctx.scope, domainName: input.DomainName, workflowId: input.WorkflowId, after, limit });
          workflowType = read.workflowType;
          return read.steps;
        },
        keyOf: (s) => s.stepNo,
      }),
  );
  // Steps found: their workflow exists, and the read brought its type. None: the check read the workflow.
  const workflow = checked ?? { workflowId: input.WorkflowId, workflowType: workflowType! };
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
