import type { GetWorkflowRequest, GetWorkflowResponse } from '../api/shapes.generated.js';
import { clip255 } from '../domain/workflow-plan/format.js';
import type { Handler } from './context.js';
import { requireWorkflow } from './workflows-common.js';

export const getWorkflow: Handler<GetWorkflowRequest, GetWorkflowResponse> = async (ctx, input) => {
  const w = await requireWorkflow(ctx, input.DomainName, input.WorkflowId);
  return {
    WorkflowId: w.workflowId,
    WorkflowType: w.workflowType,
    Status: w.status,
    ErrorDescription: w.errorDescription === undefined ? undefined : clip255(w.errorDescription),
    StartDate: new Date(w.startedAt ?? w.createdAt),
    LastUpdatedAt: new Date(w.updatedAt),
    Attributes: {
      AppflowIntegration: {
        SourceConnectorType: w.connectorType,
        ConnectorProfileName: w.connectorProfileName,
        // The model's output RoleArn is 1..255 characters where the request's allowed 512: a longer one is cut.
        RoleArn: w.roleArn.length > 0 ? w.roleArn.slice(0, 255) : undefined,
      },
    },
    Metrics: {
      AppflowIntegration: {
        RecordsProcessed: w.recordsProcessed,
        StepsCompleted: w.stepsCompleted,
        TotalSteps: w.totalSteps,
      },
    },
  };
};
