/**
 * Runs one claimed AppFlow flow run: its flow's source through the same connector resolution and page
 * loop as a workflow step (engine/page-loop.ts), into the flow's object type, over the run's window.
 * Then Successful (the flow's watermark moves to the window's end), a retry with the step RetryPolicy
 * for a transient source error, Error, or Canceled when a cancel (CancelFlowExecutions, StopFlow) or a
 * deletion (of the flow, its domain or its integration) reached it at a page.
 */
import { connectorFor } from '../connectors/index.js';
import { resolveConnectorProfile } from '../connectors/resolve-profile.js';
import { flowDefinitionOf } from '../domain/appflow-flow.js';
import { readTrigger } from '../domain/flow-trigger.js';
import { checkFlowRead } from '../domain/source-flow.js';
import { iso } from '../domain/workflow-plan/format.js';
import { retryDelayMs } from '../domain/workflow-plan/retry-policy.js';
import type { ClaimedRun, RunKey, Store } from '../store/types.js';
import type { Clock } from './clock.js';
import { isHandedBack, PermanentError, retryKind, runPages, settleOnce } from './page-loop.js';
import type { StepRunnerOptions } from './step-runner.js';

/** Thrown inside a page's transaction when the flow (or its domain, or its integration) was deleted. */
class FlowGone extends Error {}

export type RunOutcome = 'successful' | 'retry' | 'error' | 'canceled' | 'yielded' | 'lost';

/** ErrorInfo.executionMessage: at most 2048 characters of [\s\w/!@#+=.-]; other characters become spaces. */
export function executionMessage(text: string): string {
  return text.replace(/[^\s\w/!@#+=.-]/g, ' ').replace(/ {2,}/g, ' ').trim().slice(0, 2048);
}

export async function runFlowRun(
  store: Store,
  clock: Clock,
  options: StepRunnerOptions,
  claimed: ClaimedRun,
  maxPages = Number.POSITIVE_INFINITY,
  signal?: AbortSignal,
  progress: { pages: number } = { pages: 0 },
): Promise<RunOutcome> {
  const { scope, run, flow } = claimed;
  const key: RunKey = { scope, flowName: run.flowName, executionId: run.executionId };
  const holder = { owner: options.owner, key };
  try {
    const objectTypeName = flow.objectTypeName;
    if (!objectTypeName) throw new PermanentError(`The flow ${flow.flowName} names no objectTypeName in its Customer Profiles destination, so its records have no object type to go to.`);
    if (!flow.connectorProfileName) throw new PermanentError(`The flow ${flow.flowName} names no connector profile to read its source with.`);
    const profile = await resolveConnectorProfile(store, scope, flow.connectorProfileName);
    if (!profile) throw new PermanentError(`Connector profile ${flow.connectorProfileName} no longer exists.`);
    const connector = connectorFor(profile.kind);
    if (!connector) throw new PermanentError(`Connector profile ${profile.name} names an unknown source kind ${profile.kind}.`);
    const objectType = await store.objectTypes.get(scope, flow.domainName, objectTypeName);
    if (!objectType) throw new PermanentError(`Object type ${objectTypeName} no longer exists.`);
    const read = checkFlowRead(flowDefinitionOf(flow));
    if (!read.ok) throw new PermanentError(`The flow cannot run: ${read.problems.join(' ')}`);
    const result = await runPages({
      store,
      clock,
      scope,
      domainName: flow.domainName,
      objectType,
      connector,
      source: { kind: 'flow-run', flowName: run.flowName, executionId: run.executionId },
      request: {
        profile,
        connectorType: read.value.connectorType,
        object: read.value.source.object,
        prefix: read.value.source.prefix,
        includeDeleted: read.value.source.includeDeleted,
        enableDynamicFieldUpdate: read.value.source.enableDynamicFieldUpdate,
        fields: read.value.fields,
        datetimeField: read.value.datetimeField,
        window: { start: new Date(run.windowStart), end: new Date(run.windowEnd) },
        cursor: run.cursor,
        pageSize: options.pageSize,
        signal,
        policy: options.connectorPolicy,
      },
      tasks: read.value.tasks,
      processed: run.recordsProcessed,
      dropped: run.recordsDropped,
      maxPages,
      pageDelayMs: options.pageDelayMs,
      signal,
      progress,
      hold: (tx) => tx.flowRuns.holdRun(holder),
      stillThere: async (tx) => {
        if (!(await tx.flowRuns.flowStillRuns(scope, flow.flowName))) throw new FlowGone();
        // Held for the page's transaction, as a workflow step holds it.
        if (!(await tx.objectTypes.get(scope, flow.domainName, objectTypeName, 'key-share'))) throw new PermanentError(`Object type ${objectTypeName} was deleted while the run ran.`);
      },
      checkpoint: async (tx, page) => {
        // Drops by reason accumulate over resumes: the run started from what was stored.
        const reasons = { ...run.droppedByReason };
        for (const [reason, n] of page.dropReasons) reasons[reason] = (run.droppedByReason[reason] ?? 0) + n;
        return tx.flowRuns.checkpointPage({ ...holder, now: page.now, leaseMs: options.leaseMs, cursor: page.cursor, records: page.records, dropped: page.dropped, droppedByReason: reasons });
      },
      giveBack: async () => {
        await store.flowRuns.giveBack({ ...holder, now: clock.now() });
      },
    });
    if (result.kind === 'yielded') return 'yielded';
    if (result.kind === 'refused') return afterRefusal(store, clock, claimed, options.owner);
    if (!(await store.flowRuns.flowStillRuns(scope, run.flowName))) return afterRefusal(store, clock, claimed, options.owner);
    return (await store.flowRuns.finishRun({ ...holder, now: clock.now() })) ? 'successful' : afterRefusal(store, clock, claimed, options.owner);
  } catch (err) {
    const now = clock.now();
    if (err instanceof FlowGone) return afterRefusal(store, clock, claimed, options.owner);
    if (signal?.aborted) {
      // Stopping (SIGTERM) hands the run back; a lost lease or a cancel is settled by afterRefusal.
      if (await store.flowRuns.giveBack({ ...holder, now }).catch(() => false)) return 'yielded';
      return afterRefusal(store, clock, claimed, options.owner);
    }
    return settleOnce(err, (e) => settleFailure(store, clock, options, claimed, e, now));
  }
}

async function settleFailure(store: Store, clock: Clock, options: StepRunnerOptions, claimed: ClaimedRun, err: unknown, now: number): Promise<RunOutcome> {
  const { run } = claimed;
  const holder = { owner: options.owner, key: { scope: claimed.scope, flowName: run.flowName, executionId: run.executionId } };
  const reason = err instanceof Error ? err.message : String(err);
  if (isHandedBack(err)) {
    // Storage that cannot be written, or work that waited too long behind other work: hand the run back
    // to be retried from its cursor, no attempt counted.
    await store.flowRuns.giveBack({ ...holder, now, behind: true }).catch(() => undefined);
    throw err;
  }
  const retrying = retryKind(err, options.onFault);
  if (retrying) {
    const retry = run.attempts + 1;
    if (retry <= options.retry.maximumRetries) {
      const runAfter = now + retryDelayMs(options.retry, retry, retrying.retryAfterMs);
      const message = executionMessage(`${retrying.what}: ${retrying.reason} Retry ${retry} of ${options.retry.maximumRetries} at ${iso(runAfter)}.`);
      return (await store.flowRuns.retryRun({ ...holder, now, attempts: retry, runAfter, message })) ? 'retry' : afterRefusal(store, clock, claimed, options.owner);
    }
    return fail(store, claimed, options.owner, `Failed after ${options.retry.maximumRetries} retries: ${retrying.reason}`, now);
  }
  // A window too large for the source is not split here (a run is one window): it fails like any other.
  return fail(store, claimed, options.owner, reason, now);
}

async function fail(store: Store, claimed: ClaimedRun, owner: string, reason: string, now: number): Promise<RunOutcome> {
  const key = { scope: claimed.scope, flowName: claimed.run.flowName, executionId: claimed.run.executionId };
  const trigger = readTrigger(claimed.flow.triggerConfig, claimed.flow.activatedAt ?? claimed.flow.createdAt);
  const ok = await store.flowRuns.failRun({ owner, key, now, message: executionMessage(`Failed: ${reason}`), deactivationThreshold: trigger.deactivationThreshold });
  return ok ? 'error' : 'lost';
}

/**
 * After a guarded write changed nothing, or the flow stopped running: a cancel asked for (CancelStarted)
 * or a flow, domain or integration deleted ends the run as Canceled, by its holder; otherwise another
 * worker owns the run now.
 */
async function afterRefusal(store: Store, clock: Clock, claimed: ClaimedRun, owner: string): Promise<RunOutcome> {
  const key = { scope: claimed.scope, flowName: claimed.run.flowName, executionId: claimed.run.executionId };
  const current = await store.flowRuns.get(key);
  const gone = !(await store.flowRuns.flowStillRuns(claimed.scope, claimed.run.flowName));
  if (current && current.leaseOwner === owner && (current.status === 'CancelStarted' || gone)) {
    const message = gone ? 'Canceled: the flow, its domain or its integration was deleted.' : 'Canceled at the next page after the cancel was asked for.';
    if (await store.flowRuns.endCancelled({ owner, key, now: clock.now(), message })) return 'canceled';
  }
  return 'lost';
}
