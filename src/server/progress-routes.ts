import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestException } from '../api/errors.js';
import type { Scope } from '../domain/scope.js';
import { densityOf, stepProgress } from '../domain/step-progress.js';
import { requireWorkflow } from '../operations/workflows-common.js';
import { readShape, Violations } from '../protocol/validate.js';
import type { Store } from '../store/types.js';
import type { WorkflowStepProgress } from '../store/workflow-types.js';
import { accountScopeOf } from './access.js';
import { sendJson } from './admin-json.js';

export interface ProgressRouteDeps {
  store: Store;
}

/** Steps per answer unless `limit` says fewer; a workflow with more is walked with `after`. */
const MAX_STEPS = 1000;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z0-9-]{1,32}$/;

/**
 * `GET /_profileflow/workflows/{DomainName}/{WorkflowId}/progress[?after=&limit=]`: each step of a
 * workflow with what GetWorkflowSteps cannot carry (its wire shape is the AWS model's): how far through
 * its window the step has read, the source's estimate of its records, and the share of the step done
 * with what that share was read from (domain/step-progress.ts). An `account` route: a tenant (or, with
 * authentication off, the account of the request's key) sees only workflows of its own account in the
 * request's region, and any other is missing, as GetWorkflow answers it; the operator names the account
 * with `?accountId=` (and the region with `?region=`, else the signature's).
 */
export function registerProgressRoutes(app: FastifyInstance, deps: ProgressRouteDeps): void {
  app.get('/workflows/:domainName/:workflowId/progress', { config: { access: 'account' } }, async (request, reply) => {
    const { domainName, workflowId } = request.params as Record<string, string>;
    const query = request.query as Record<string, string | undefined>;
    // GetWorkflow's own constraints, from the model, so a name it refuses is refused here in its words.
    const violations = new Violations();
    readShape('GetWorkflowRequest', { DomainName: domainName, WorkflowId: workflowId }, '', violations);
    violations.throwIfAny();
    const after = wholeNumber(query.after, 'after', 0, Number.MAX_SAFE_INTEGER);
    const limit = wholeNumber(query.limit, 'limit', 1, MAX_STEPS) ?? MAX_STEPS;
    const scope = scopeOf(request, query);

    const workflow = await requireWorkflow({ store: deps.store, scope }, domainName, workflowId);
    const steps = await deps.store.workflows.listStepProgress({ scope, workflowId, after, limit: limit + 1 });
    const more = steps.length > limit;
    if (more) steps.length = limit;
    const density = densityOf(await deps.store.workflows.completedStepTotals(scope, workflowId));
    return sendJson(reply, 200, {
      accountId: scope.accountId,
      region: scope.region,
      domainName,
      workflowId,
      status: workflow.status,
      recordsProcessed: workflow.recordsProcessed,
      stepsCompleted: workflow.stepsCompleted,
      totalSteps: workflow.totalSteps,
      steps: steps.map((s) => presentStep(s, density)),
      ...(more ? { next: steps[steps.length - 1].stepNo } : {}),
    });
  });
}

/** The wire form: camelCase like the event stream's `step` events, ISO-8601 times, absent members left out. */
function presentStep(s: WorkflowStepProgress, density: number | undefined): Record<string, unknown> {
  const progress = stepProgress(
    { status: s.status, recordsProcessed: s.recordsProcessed, windowStart: s.windowStart, windowEnd: s.windowEnd, readThrough: s.readThrough, recordsEstimate: s.recordsEstimate },
    density,
  );
  return {
    stepNo: s.stepNo,
    flowName: s.flowName,
    status: s.status,
    recordsProcessed: s.recordsProcessed,
    batchRecordsStartTime: new Date(s.windowStart).toISOString(),
    batchRecordsEndTime: new Date(s.windowEnd).toISOString(),
    ...(s.readThrough !== undefined ? { readThrough: new Date(s.readThrough).toISOString() } : {}),
    ...(s.recordsEstimate !== undefined ? { recordsEstimate: s.recordsEstimate } : {}),
    ...(progress.fraction !== undefined ? { fraction: progress.fraction, basis: progress.basis } : {}),
    ...(progress.expected !== undefined ? { expectedRecords: progress.expected } : {}),
    lastUpdatedAt: new Date(s.updatedAt).toISOString(),
  };
}

/**
 * Where the workflow is looked for: the caller's account and region, as on the AWS routes. The operator
 * acts in no account, so it names one; a tenant naming another account is refused (accountScopeOf).
 */
function scopeOf(request: FastifyRequest, query: Record<string, string | undefined>): Scope {
  const problems: string[] = [];
  if (query.accountId !== undefined && !ACCOUNT.test(query.accountId)) problems.push('accountId must be a 12-digit account id.');
  if (query.region !== undefined && !REGION.test(query.region)) problems.push('region must be a region name such as us-east-1.');
  if (problems.length > 0) throw new BadRequestException(problems.join(' '));
  const caller = request.ctx.caller;
  const accountId = accountScopeOf(request, query.accountId) ?? caller?.accountId ?? '';
  if (accountId === '') throw new BadRequestException('Operator credentials act in no account: give the workflow\'s account as ?accountId=.');
  return { accountId, region: query.region ?? caller?.region ?? '' };
}

function wholeNumber(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d{1,16}$/.test(value) || n < min || n > max) throw new BadRequestException(`${name} must be a whole number from ${min} to ${max}, got '${value.slice(0, 32)}'.`);
  return n;
}
