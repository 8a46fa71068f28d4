import { connectorFor } from '../connectors/index.js';
import type { ConnectorPolicy } from '../connectors/policy.js';
import { resolveConnectorProfile } from '../connectors/resolve-profile.js';
import { putCustomerProfilesFlow } from '../store/customer-profiles-flows.js';
import { SourceError } from '../connectors/types.js';
import { appflowFlowArn, integrationArn } from '../domain/arns.js';
import { checkFlowRead } from '../domain/source-flow.js';
import { iso, storedMessage } from '../domain/workflow-plan/format.js';
import { halveWindow } from '../domain/workflow-plan/windows.js';
import { retryDelayMs, type RetryPolicy } from '../domain/workflow-plan/retry-policy.js';
import type { ObjectTypeRecord, Store } from '../store/types.js';
import type { ClaimedStep, StepKey } from '../store/workflow-types.js';
import type { Clock } from './clock.js';
import { isHandedBack, PermanentError, retryKind, runPages, settleOnce } from './page-loop.js';

export interface StepRunnerOptions {
  owner: string;
  leaseMs: number;
  pageSize: number;
  /** A pause after each committed page (demos; people watching progress move). */
  pageDelayMs: number;
  /** A window whose estimate exceeds this is split before it is read. */
  maxRecordsPerStep: number;
  /** Splitting stops at windows smaller than twice this. */
  minWindowMs: number;
  retry: RetryPolicy;
  /** The operator's policy every read stays within (DEFAULT_CONNECTOR_POLICY when not given). */
  connectorPolicy?: ConnectorPolicy;
  /** Told of an internal error that a unit's row records as a retry or a failure (the engine logs it). */
  onFault?: (error: unknown) => void;
}

export type StepOutcome = 'complete' | 'workflow-complete' | 'retry' | 'failed' | 'split' | 'yielded' | 'cancelled' | 'lost';

/**
 * Runs one claimed step: read a page, ingest it and move the step's cursor and counts in one
 * transaction, repeat; then complete, retry, split or fail. `maxPages` bounds the pages run (manual
 * mode advances page by page); the lease is given back when the budget runs out first.
 * A crash anywhere loses only the lease: the next owner resumes from the last committed cursor.
 * `cancelled` means the workflow was deleted: the caller (the engine) purges it.
 */
export async function runStep(
  store: Store,
  clock: Clock,
  options: StepRunnerOptions,
  claimed: ClaimedStep,
  maxPages = Number.POSITIVE_INFINITY,
  signal?: AbortSignal,
  progress: { pages: number } = { pages: 0 },
): Promise<StepOutcome> {
  const { scope, workflow, step } = claimed;
  const key: StepKey = { workflowId: step.workflowId, stepNo: step.stepNo };
  const window = `${iso(step.windowStart)} to ${iso(step.windowEnd)}`;
  try {
    const profile = await resolveConnectorProfile(store, scope, workflow.connectorProfileName);
    if (!profile) throw new PermanentError(`Connector profile ${workflow.connectorProfileName} no longer exists.`);
    const connector = connectorFor(profile.kind);
    if (!connector) throw new PermanentError(`Connector profile ${profile.name} names an unknown source kind ${profile.kind}.`);
    const objectType = await store.objectTypes.get(scope, workflow.domainName, workflow.objectTypeName);
    if (!objectType) throw new PermanentError(`Object type ${workflow.objectTypeName} no longer exists.`);
    const flow = checkFlowRead(workflow.definition.flowDefinition);
    if (!flow.ok) throw new PermanentError(`The stored FlowDefinition cannot run: ${flow.problems.join(' ')}`);
    const { tasks, source: sourceObject } = flow.value;
    const request = {
      profile,
      connectorType: workflow.connectorType,
      object: sourceObject.object,
      prefix: sourceObject.prefix,
      includeDeleted: sourceObject.includeDeleted,
      enableDynamicFieldUpdate: sourceObject.enableDynamicFieldUpdate,
      fields: flow.value.fields,
      datetimeField: flow.value.datetimeField,
      window: { start: new Date(step.windowStart), end: new Date(step.windowEnd) },
      cursor: step.cursor,
      pageSize: options.pageSize,
      signal,
      policy: options.connectorPolicy,
    };

    if (step.cursor === undefined && connector.estimate) {
      const estimate = await connector.estimate(request);
      if (estimate !== undefined && estimate > options.maxRecordsPerStep) {
        const outcome = await trySplit(store, clock, options, claimed, `holds about ${estimate} records, more than the limit of ${options.maxRecordsPerStep} per step`);
        if (outcome) return outcome;
      }
      // Kept for the step's progress (records against it) when the source cannot tell its read position.
      if (estimate !== undefined && Number.isSafeInteger(estimate) && estimate >= 0) {
        if (!(await store.workflows.noteEstimate({ owner: options.owner, key, now: clock.now(), recordsEstimate: estimate }))) return await lostOrCancelled(store, claimed);
      }
    }

    const read = await runPages({
      store,
      clock,
      scope,
      domainName: workflow.domainName,
      objectType,
      connector,
      request,
      tasks,
      source: { kind: 'workflow', workflowId: step.workflowId, stepNo: step.stepNo },
      processed: step.recordsProcessed,
      dropped: step.recordsDropped,
      maxPages,
      pageDelayMs: options.pageDelayMs,
      signal,
      progress,
      hold: (tx) => tx.workflows.holdStep({ key, owner: options.owner }),
      stillThere: (tx) => requireStillThere(tx, claimed, objectType),
      checkpoint: (tx, page) =>
        tx.workflows.checkpointPage({
          owner: options.owner,
          key,
          now: page.now,
          leaseMs: options.leaseMs,
          cursor: page.cursor,
          readThrough: page.readThrough,
          records: page.records,
          dropped: page.dropped,
          message: storedMessage(`Ingesting records from ${window}: ${page.processedTotal} so far${describeDrops(page.droppedTotal)}.`),
        }),
      giveBack: async () => {
        await store.workflows.giveBack({ owner: options.owner, key, now: clock.now() });
      },
    });
    if (read.kind === 'yielded') return 'yielded';
    if (read.kind === 'refused') return await lostOrCancelled(store, claimed);
    const { processed, dropped, dropReasons, firstRejection } = read;

    const now = clock.now();
    const message = storedMessage(completionMessage(processed, dropped, window, dropReasons, firstRejection));
    const result = await store.transaction(async (tx) => {
      const done = await tx.workflows.completeStep({ owner: options.owner, key, now, message });
      if (done.workflowComplete) await createOngoingIntegration(tx, claimed, now);
      return done;
    });
    if (!result.owned) return await lostOrCancelled(store, claimed);
    return result.workflowComplete ? 'workflow-complete' : 'complete';
  } catch (err) {
    if (signal?.aborted) {
      // A deleted workflow is the engine's to purge; stopping hands the step back.
      if (await store.workflows.isCancelled(step.workflowId).catch(() => false)) return 'cancelled';
      await store.workflows.giveBack({ owner: options.owner, key, now: clock.now() }).catch(() => undefined);
      return 'yielded';
    }
    return settleOnce(err, (e) => settleFailure(store, clock, options, claimed, e));
  }
}

async function settleFailure(
  store: Store,
  clock: Clock,
  options: StepRunnerOptions,
  claimed: ClaimedStep,
  err: unknown,
): Promise<StepOutcome> {
  const { step } = claimed;
  const key = { workflowId: step.workflowId, stepNo: step.stepNo };
  const now = clock.now();
  const reason = err instanceof Error ? err.message : String(err);
  if (err instanceof SourceError && err.kind === 'too-large') {
    const outcome = await trySplit(store, clock, options, claimed, `is too large for the source (${reason})`);
    if (outcome) return outcome;
  }
  if (isHandedBack(err)) {
    // Storage that cannot be written, or work that waited too long behind other work: not the workflow's
    // fault. The step goes back to be retried from its cursor, no attempt counted.
    await store.workflows.giveBack({ owner: options.owner, key, now, behind: true }).catch(() => undefined);
    throw err;
  }
  const retrying = retryKind(err, options.onFault);
  if (retrying) {
    const retry = step.attempts + 1;
    if (retry <= options.retry.maximumRetries) {
      const runAfter = now + retryDelayMs(options.retry, retry, retrying.retryAfterMs);
      const message = storedMessage(`${retrying.what}: ${retrying.reason} Retry ${retry} of ${options.retry.maximumRetries} at ${iso(runAfter)}.`);
      return (await store.workflows.retryStep({ owner: options.owner, key, now, attempts: retry, runAfter, message })) ? 'retry' : lostOrCancelled(store, claimed);
    }
    return failStep(store, options, claimed, `Failed after ${options.retry.maximumRetries} retries: ${retrying.reason}`, now);
  }
  return failStep(store, options, claimed, reason, now);
}

async function failStep(store: Store, options: StepRunnerOptions, claimed: ClaimedStep, reason: string, now: number): Promise<StepOutcome> {
  const { step } = claimed;
  const ok = await store.workflows.failStep({
    owner: options.owner,
    key: { workflowId: step.workflowId, stepNo: step.stepNo },
    now,
    message: storedMessage(`Failed: ${reason}`),
    errorDescription: storedMessage(`Step ${step.stepNo} (${step.flowName}) failed: ${reason}`),
  });
  return ok ? 'failed' : lostOrCancelled(store, claimed);
}

/** Replaces the step by its two halves; undefined when the window is already as small as allowed. */
async function trySplit(
  store: Store,
  clock: Clock,
  options: StepRunnerOptions,
  claimed: ClaimedStep,
  why: string,
): Promise<StepOutcome | undefined> {
  const { step } = claimed;
  const halves = halveWindow({ start: step.windowStart, end: step.windowEnd }, options.minWindowMs);
  if (!halves) return undefined;
  const ok = await store.workflows.splitStep({
    owner: options.owner,
    key: { workflowId: step.workflowId, stepNo: step.stepNo },
    now: clock.now(),
    halves: halves.map((w) => ({
      windowStart: w.start,
      windowEnd: w.end,
      executionMessage: `Waiting to ingest records from ${iso(w.start)} to ${iso(w.end)} (half of step ${step.stepNo}).`,
    })),
    message: (stepNos) => storedMessage(`Split into steps ${stepNos.join(' and ')}: the window ${why}.`),
  });
  return ok ? 'split' : lostOrCancelled(store, claimed);
}

/** After a guarded write changed nothing: the workflow was deleted (the engine purges it) or another worker owns the step. */
async function lostOrCancelled(store: Store, claimed: ClaimedStep): Promise<StepOutcome> {
  return (await store.workflows.isCancelled(claimed.step.workflowId)) ? 'cancelled' : 'lost';
}

/**
 * Checked inside each page's transaction: an object type or a connector profile deleted while the
 * step runs fails it for good at its next page (nothing of that page is committed), rather than
 * ingesting objects of a type that no longer exists or reading with credentials the operator removed.
 * AppFlow likewise fails a flow run whose connector profile was deleted.
 */
async function requireStillThere(tx: Store, claimed: ClaimedStep, objectType: ObjectTypeRecord): Promise<void> {
  const { scope, workflow } = claimed;
  // Held for the page's transaction: a DeleteProfileObjectType waits for the page, or the page for it.
  if (!(await tx.objectTypes.get(scope, workflow.domainName, objectType.objectTypeName, 'key-share'))) {
    throw new PermanentError(`Object type ${objectType.objectTypeName} was deleted while the step ran.`);
  }
  if (!(await tx.connectorProfiles.get(workflow.connectorProfileName))) {
    throw new PermanentError(`Connector profile ${workflow.connectorProfileName} was deleted while the step ran.`);
  }
}

/**
 * On completion Customer Profiles "creates a standard, continuous integration that ingests your new
 * data" (AWS admin guide). Its Uri is the flow's AppFlow ARN; it carries the workflow's tags.
 */
async function createOngoingIntegration(store: Store, claimed: ClaimedStep, now: number): Promise<void> {
  const { scope, workflow } = claimed;
  const uri = appflowFlowArn(scope, workflow.definition.flowDefinition.FlowName).slice(0, 255);
  await store.integrations.put(scope, workflow.domainName, {
    uri,
    objectTypeName: workflow.objectTypeName,
    workflowId: workflow.workflowId,
    roleArn: workflow.roleArn,
    flowDefinition: workflow.definition.flowDefinition,
    createdAt: now,
    updatedAt: now,
  });
  const tags = workflow.definition.tags;
  if (tags && Object.keys(tags).length > 0) await store.tags.put(scope, integrationArn(scope, workflow.domainName, uri), tags);
  const taken = await putCustomerProfilesFlow(store, scope, {
    domainName: workflow.domainName,
    objectTypeName: workflow.objectTypeName,
    flowDefinition: workflow.definition.flowDefinition,
    integrationUri: uri,
    workflowId: workflow.workflowId,
    historyEnd: await historyEnd(store, claimed),
    now,
  });
  // The history stays loaded; the workflow fails, saying why it has no ongoing integration.
  if (taken) throw new PermanentError(taken);
}

/** The latest window end of the workflow's steps (split halves included): the end of the history it loaded. */
async function historyEnd(store: Store, claimed: ClaimedStep): Promise<number> {
  let end = claimed.step.windowEnd;
  let after: number | undefined;
  for (;;) {
    const page = await store.workflows.listSteps({ scope: claimed.scope, workflowId: claimed.workflow.workflowId, after, limit: 500 });
    for (const s of page) end = Math.max(end, s.windowEnd);
    if (page.length < 500) return end;
    after = page[page.length - 1]!.stepNo;
  }
}

function describeDrops(dropped: number): string {
  return dropped === 0 ? '' : `, ${dropped} dropped`;
}

/**
 * "Complete: ingested 950 records from … ; 50 dropped by tasks (Validate VALIDATE_NON_NULL on Email: 45,
 * rejected by the object type: 5; first rejection: …)". RecordsProcessed counts records that reached the
 * domain [I: "workflow step records processed"]; records dropped are reported here, never in it.
 */
function completionMessage(processed: number, dropped: number, window: string, reasons: Map<string, number>, firstRejection?: string): string {
  const head = processed === 0 ? `Complete: no records ingested from ${window}` : `Complete: ingested ${processed} records from ${window}`;
  if (dropped === 0) return `${head}.`;
  const counted = [...reasons.values()].reduce((a, b) => a + b, 0);
  // After a resume the reasons of earlier runs are gone; then only the reasons seen are named, without counts.
  const why = [...reasons.entries()].map(([reason, n]) => (counted === dropped ? `${reason}: ${n}` : reason)).join(', ');
  const rejection = firstRejection ? `; first rejection: ${firstRejection}` : '';
  return `${head}; ${dropped} dropped${why ? ` (${why}${rejection})` : ''}.`;
}
