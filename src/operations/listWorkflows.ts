import { BadRequestException } from '../api/errors.js';
import { exactMsOf, firstMsFrom, isoOfTimestamp, lastMsUpTo } from '../api/timestamp.js';
import type { ListWorkflowsRequest, ListWorkflowsResponse } from '../api/shapes.generated.js';
import { paginate } from './paginate.js';
import { describeOngoing, describeWorkflow } from '../domain/workflow-plan/status-text.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { readCheckedWhenEmpty } from './workflows-common.js';

/**
 * Newest first (CreatedAt, then WorkflowId). QueryStartDate and QueryEndDate bound the creation time,
 * both inclusive: the model documents QueryEndDate as "workflows ended after", which would make it
 * redundant with QueryStartDate; we read it as the upper bound it is evidently meant to be [I].
 */
export const listWorkflows: Handler<ListWorkflowsRequest, ListWorkflowsResponse> = async (ctx, input) => {
  const { page } = await readCheckedWhenEmpty(
    () => requireDomain(ctx, input.DomainName),
    () => {
      const { QueryStartDate: start, QueryEndDate: end } = input;
      if (start && end && exactMsOf(start) > exactMsOf(end)) {
        throw new BadRequestException(`QueryStartDate ${isoOfTimestamp(start)} is after QueryEndDate ${isoOfTimestamp(end)}.`);
      }
      // Stored times are whole milliseconds: a bound finer than that is rounded inward, never across one.
      const from = start && firstMsFrom(start);
      const to = end && lastMsUpTo(end);
      const filter = { status: input.Status, workflowType: input.WorkflowType, createdFrom: from, createdTo: to };
      return paginate({
        tokens: ctx.tokens,
        binding: ['ListWorkflows', ctx.scope, input.DomainName, filter],
        maxResults: input.MaxResults,
        nextToken: input.NextToken,
        // Only while the domain exists: an empty page is where the domain is looked up (readCheckedWhenEmpty).
        fetch: (after: [number, string] | undefined, limit) =>
          ctx.store.workflows.listItems({ scope: ctx.scope, domainName: input.DomainName, filter, after, limit }),
        keyOf: (w) => [w.createdAt, w.workflowId] as [number, string],
      });
    },
  );
  // A completed workflow's description says what its ongoing updates do: the page's flows in one query.
  const completed = page.items.filter((w) => w.status === 'COMPLETE').map((w) => w.workflowId);
  const flows = new Map((await ctx.store.flows.byWorkflows(ctx.scope, input.DomainName, completed)).map((f) => [f.workflowId, f]));
  return {
    Items: page.items.map((w) => ({
      WorkflowType: w.workflowType,
      WorkflowId: w.workflowId,
      Status: w.status,
      StatusDescription: describeWorkflow(w, w.status === 'COMPLETE' ? describeOngoing(flows.get(w.workflowId)) : undefined),
      CreatedAt: new Date(w.createdAt),
      LastUpdatedAt: new Date(w.updatedAt),
    })),
    NextToken: page.nextToken,
  };
};
