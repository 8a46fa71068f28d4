import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { connectorFor } from '../connectors/index.js';
import type { ConnectorPolicy } from '../connectors/policy.js';
import { SourceError, type SourcePage } from '../connectors/types.js';
import { integrationArn } from '../domain/arns.js';
import { compileTasks } from '../domain/flow-tasks.js';
import { sourceFieldsOf, sourceObjectOf } from '../domain/source-flow.js';
import { clip255, iso } from '../domain/workflow-plan/format.js';
import { retryDelayMs, type RetryPolicy } from '../domain/workflow-plan/retry-policy.js';
import { halveWindow, newStep } from '../domain/workflow-plan/windows.js';
import { putProfileObjects } from '../ingest/profile-objects.js';
import { purgeWorkflow } from './purge-workflow.js';
import type { Store } from '../store/types.js';
import type { ClaimedStep, StepKey } from '../store/workflow-types.js';
import type { Clock } from './clock.js';

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
}

export type StepOutcome = 'complete' | 'workflow-complete' | 'retry' | 'failed' | 'split' | 'yielded' | 'cancelled' | 'lost';

/** Errors that no retry can mend (a profile or an object type removed under a running workflow). */
class PermanentStepError extends Error {}

/** Thrown inside a page's transaction to roll it back when the lease turned out to be gone. */
class LeaseLost extends Error {}

/**
 * Runs one claimed step: read a page, ingest it and move the step's cursor and counts in one
 * transaction, repeat; then complete, retry, split or fail. `maxPages` bounds the pages run (manual
 * mode advances page by page); the lease is given back when the budget runs out first.
 * A crash anywhere loses only the lease: the next owner resumes from the last committed cursor.
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
  let processed = step.recordsProcessed;
  let dropped = step.recordsDropped;
  // Why records were not ingested in this run, for the step's message (counts of earlier runs are in `dropped`).
  const dropReasons = new Map<string, number>();
  let firstRejection: string | undefined;
  try {
    const profile = await store.connectorProfiles.get(workflow.connectorProfileName);
    if (!profile) throw new PermanentStepError(`Connector profile ${workflow.connectorProfileName} no longer exists.`);
    const connector = connectorFor(profile.kind);
    if (!connector) throw new PermanentStepError(`Connector profile ${profile.name} names an unknown source kind ${profile.kind}.`);
    const objectType = await store.objectTypes.get(scope, workflow.domainName, workflow.objectTypeName);
    if (!objectType) throw new PermanentStepError(`Object type ${workflow.objectTypeName} no longer exists.`);
    const flow = workflow.definition.flowDefinition;
    // Compiled once per step; per record the transform is a few property reads.
    const compiled = compileTasks(flow.Tasks, { connectorType: flow.SourceFlowConfig?.ConnectorType });
    if (!compiled.ok) throw new PermanentStepError(`The flow's Tasks cannot run: ${compiled.problems.join(' ')}`);
    const tasks = compiled.transform;
    const sourceObject = sourceObjectOf(flow.SourceFlowConfig);
    const request = {
      profile,
      connectorType: workflow.connectorType as never,
      object: sourceObject.object,
      prefix: sourceObject.prefix,
      includeDeleted: sourceObject.includeDeleted,
      enableDynamicFieldUpdate: sourceObject.enableDynamicFieldUpdate,
      fields: sourceFieldsOf(flow.Tasks),
      datetimeField: flow.SourceFlowConfig.IncrementalPullConfig?.DatetimeTypeFieldName as string | undefined,
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
    }

    const pages = connector.read(request)[Symbol.asyncIterator]();
    let pagesRun = 0;
    let readToEnd = false;
    try {
      for (;;) {
        const next = await pages.next();
        if (next.done) break;
        if (pagesRun >= maxPages) {
          // Looked one page ahead only to know whether the step is finished; it is not, so hand it back.
          await pages.return?.();
          await store.workflows.release(options.owner, key, clock.now());
          return 'yielded';
        }
        const page: SourcePage = next.value;
        const now = clock.now();
        const records: Record<string, unknown>[] = [];
        let droppedHere = 0;
        // Rows the source could not place (no readable time…): not ingested, so counted with the drops.
        for (const [reason, count] of Object.entries(page.skipped ?? {})) {
          droppedHere += count;
          dropReasons.set(reason, (dropReasons.get(reason) ?? 0) + count);
        }
        for (let i = 0; i < page.records.length; i++) {
          const outcome = tasks.apply(page.records[i]);
          if ('record' in outcome) records.push(outcome.record);
          else if ('dropped' in outcome) {
            droppedHere++;
            dropReasons.set(outcome.dropped, (dropReasons.get(outcome.dropped) ?? 0) + 1);
          } else {
            // AppFlow's TerminateFlow: nothing of this page is committed, and no retry could pass the record.
            const position = processed + dropped + i + 1;
            throw new PermanentStepError(
              `Task ${outcome.task + 1} (${outcome.terminate}) terminated the flow at record ${position} of the window ` +
                `(record ${i + 1} of page ${pagesRun + 1} in this run).`,
            );
          }
        }
        let rejected = 0;
        let ingested = 0;
        try {
          await store.transaction(async (tx) => {
            // Objects first, then the checkpoint: the count of records the object type rejects is known only
            // after ingesting. A lost lease throws, which rolls the objects back with it.
            rejected = 0;
            if (records.length > 0) {
              await putProfileObjects(tx, scope, workflow.domainName, objectType, records, now, {
                onRejected: (_index, message) => {
                  rejected++;
                  firstRejection ??= message;
                },
              });
            }
            ingested = records.length - rejected;
            const ok = await tx.workflows.recordPage(
              options.owner,
              key,
              page.cursor,
              ingested,
              clip255(`Ingesting records from ${window}: ${processed + ingested} so far${describeDrops(dropped + droppedHere + rejected)}.`),
              now,
              options.leaseMs,
              droppedHere + rejected,
            );
            if (!ok) throw new LeaseLost();
          });
        } catch (err) {
          if (err instanceof LeaseLost) return await lostOrCancelled(store, claimed);
          throw err;
        }
        processed += ingested;
        dropped += droppedHere + rejected;
        if (rejected > 0) dropReasons.set(REJECTED, (dropReasons.get(REJECTED) ?? 0) + rejected);
        pagesRun++;
        progress.pages = pagesRun;
        if (options.pageDelayMs > 0) await delay(options.pageDelayMs, signal);
        // A source that answers from memory (synthetic, a buffered file) and better-sqlite3's synchronous
        // writes resolve every await as a microtask: without a turn of the event loop between pages, a
        // step of a million records held off every HTTP request (health, GetWorkflow) until it ended.
        else await yieldToEventLoop();
      }
      readToEnd = true;
    } finally {
      // A step left mid-read (a task stopped the flow, the lease was lost, a write failed) closes the
      // source, so that a connector's open files and sockets do not outlive the step.
      if (!readToEnd) await pages.return?.().catch(() => undefined);
    }

    const now = clock.now();
    const message = clip255(completionMessage(processed, dropped, window, dropReasons, firstRejection));
    const result = await store.transaction(async (tx) => {
      const done = await tx.workflows.complete(options.owner, key, message, now);
      if (done.workflowComplete) await createOngoingIntegration(tx, claimed, now);
      return done;
    });
    if (!result.owned) return await lostOrCancelled(store, claimed);
    return result.workflowComplete ? 'workflow-complete' : 'complete';
  } catch (err) {
    if (signal?.aborted) {
      // A deleted workflow is cleaned up now; stopping hands the step back.
      if (await store.workflows.isDeleted(step.workflowId).catch(() => false)) return lostOrCancelled(store, claimed);
      await store.workflows.release(options.owner, key, clock.now()).catch(() => undefined);
      return 'yielded';
    }
    return handleFailure(store, clock, options, claimed, err);
  }
}

async function handleFailure(
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
  if (err instanceof SourceError && err.kind === 'transient') {
    const retry = step.attempts + 1;
    if (retry <= options.retry.maximumRetries) {
      const runAfter = now + retryDelayMs(options.retry, retry, err.retryAfterMs);
      const message = clip255(`Transient source failure: ${reason} Retry ${retry} of ${options.retry.maximumRetries} at ${iso(runAfter)}.`);
      return (await store.workflows.retryLater(options.owner, key, retry, runAfter, message, now)) ? 'retry' : lostOrCancelled(store, claimed);
    }
    return failStep(store, options, claimed, `Failed after ${options.retry.maximumRetries} retries: ${reason}`, now);
  }
  if (!(err instanceof SourceError) && !(err instanceof PermanentStepError)) {
    // Not a source failure: a bug or a database outage. Give the step back so it is retried from its
    // cursor, rather than failing a customer's workflow for our own fault.
    await store.workflows.release(options.owner, key, now).catch(() => undefined);
    throw err;
  }
  return failStep(store, options, claimed, reason, now);
}

async function failStep(store: Store, options: StepRunnerOptions, claimed: ClaimedStep, reason: string, now: number): Promise<StepOutcome> {
  const { step } = claimed;
  const ok = await store.workflows.fail(
    options.owner,
    { workflowId: step.workflowId, stepNo: step.stepNo },
    clip255(`Failed: ${reason}`),
    clip255(`Step ${step.stepNo} (${step.flowName}) failed: ${reason}`),
    now,
  );
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
  const { step, workflow } = claimed;
  const halves = halveWindow({ start: step.windowStart, end: step.windowEnd }, options.minWindowMs);
  if (!halves) return undefined;
  const base = String(workflow.definition.flowDefinition.FlowName);
  const next = (await lastStepNo(store, claimed)) + 1;
  const newSteps = halves.map((w, i) =>
    newStep(base, workflow.workflowId, next + i, w, `Waiting to ingest records from ${iso(w.start)} to ${iso(w.end)} (half of step ${step.stepNo}).`),
  );
  const message = clip255(`Split into steps ${next} and ${next + 1}: the window ${why}.`);
  const ok = await store.workflows.split(options.owner, { workflowId: step.workflowId, stepNo: step.stepNo }, newSteps, message, clock.now());
  return ok ? 'split' : lostOrCancelled(store, claimed);
}

async function lastStepNo(store: Store, claimed: ClaimedStep): Promise<number> {
  let last = 0;
  let after: number | undefined;
  for (;;) {
    const steps = await store.workflows.listSteps(claimed.scope, claimed.step.workflowId, after, 500);
    if (steps.length === 0) return last;
    last = steps[steps.length - 1].stepNo;
    after = last;
  }
}

/** After an engine write found the lease gone: either the workflow was deleted (finish the job) or another worker owns it. */
async function lostOrCancelled(store: Store, claimed: ClaimedStep): Promise<StepOutcome> {
  if (await store.workflows.isDeleted(claimed.step.workflowId)) {
    await purgeWorkflow(store, claimed.scope, claimed.workflow.domainName, claimed.step.workflowId);
    return 'cancelled';
  }
  return 'lost';
}

/**
 * On completion Customer Profiles "creates a standard, continuous integration that ingests your new
 * data" (AWS admin guide). Its Uri is the flow's AppFlow ARN; it carries the workflow's tags.
 */
async function createOngoingIntegration(store: Store, claimed: ClaimedStep, now: number): Promise<void> {
  const { scope, workflow } = claimed;
  const flowName = String(workflow.definition.flowDefinition.FlowName);
  const uri = `arn:aws:appflow:${scope.region}:${scope.accountId}:flow/${flowName}`.slice(0, 255);
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
}

const REJECTED = 'rejected by the object type';

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

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
