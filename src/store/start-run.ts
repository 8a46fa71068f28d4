import { readTrigger, windowStart } from '../domain/flow-trigger.js';
import type { Scope } from '../domain/scope.js';
import type { FlowRecord } from './appflow-types.js';
import type { Store } from './types.js';

/**
 * A run now, reading incrementally from the flow's watermark (or its first-run start) to `now`: StartFlow
 * on an OnDemand flow, and the Event signal route. Undefined when the flow has an active run (a flow has
 * at most one); each caller answers that in its own wire form.
 */
export async function createRunNow(store: Store, scope: Scope, flow: FlowRecord, triggerType: 'OnDemand' | 'Event', now: number): Promise<string | undefined> {
  const trigger = readTrigger(flow.triggerConfig, flow.activatedAt ?? flow.createdAt);
  const start = Math.min(windowStart({ ...trigger, dataPullMode: 'Incremental' }, flow), now);
  return store.flowRuns.createRun(scope, flow.flowName, { triggerType, windowStart: start, windowEnd: now, now });
}
