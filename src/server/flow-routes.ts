import type { FastifyInstance } from 'fastify';
import { BadRequestException, ConflictException, ResourceNotFoundException } from '../api/errors.js';
import type { Clock } from '../engine/clock.js';
import type { Engine } from '../engine/engine.js';
import { createRunNow } from '../store/start-run.js';
import type { Store } from '../store/types.js';
import { sendJson } from './admin-json.js';

export interface FlowRouteDeps {
  store: Store;
  clock: Clock;
  /** Woken so the run starts at once; absent when this process runs no engine (a worker claims it). */
  engine?: Engine;
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** AppFlow's FlowName pattern and length, from its model. */
const FLOW_NAME = /^[a-zA-Z0-9][\w!@#.-]+$/;

/**
 * `POST /_profileflow/flows/{accountId}/{region}/{flowName}/signal`: one source change event for an
 * Event-triggered flow. AppFlow subscribes to the source's change events (Salesforce's change data
 * capture); profileflow has no such feed, so the operator (or whatever watches the source) signals
 * here, and the flow gets an incremental run from its watermark to now, as StartFlow gives an OnDemand
 * flow. Operator only: it starts work in any account.
 */
export function registerFlowRoutes(app: FastifyInstance, deps: FlowRouteDeps): void {
  app.post('/flows/:accountId/:region/:flowName/signal', { config: { access: 'operator' } }, async (request, reply) => {
    const { accountId, region, flowName } = request.params as Record<string, string>;
    const problems = [
      ACCOUNT.test(accountId) ? undefined : `accountId ${JSON.stringify(accountId.slice(0, 32))} must be a 12-digit account id.`,
      REGION.test(region) ? undefined : `region ${JSON.stringify(region.slice(0, 32))} must be a region name such as us-east-1.`,
      FLOW_NAME.test(flowName) && flowName.length <= 256
        ? undefined
        : `flowName ${JSON.stringify(flowName.slice(0, 64))} must be 2 to 256 characters: a letter or digit, then letters, digits and !@#.-_.`,
    ].filter((p) => p !== undefined);
    if (problems.length > 0) throw new BadRequestException(problems.join(' '));
    const scope = { accountId, region };
    const flow = await deps.store.flows.get(scope, flowName);
    if (!flow) throw new ResourceNotFoundException(`The flow ${flowName} does not exist in account ${accountId}, region ${region}.`);
    const triggerType = flow.triggerConfig.triggerType ?? 'OnDemand';
    if (triggerType !== 'Event') {
      throw new BadRequestException(
        `The flow ${flowName} is triggered ${triggerType}, not Event: only an event-triggered flow takes signals (StartFlow runs an OnDemand flow; a Scheduled one runs on its schedule).`,
      );
    }
    if (flow.flowStatus !== 'Active') {
      throw new ConflictException(`The flow ${flowName} is ${flow.flowStatus}, not Active: StartFlow activates it, and signals then run it.`);
    }
    if (!(await deps.store.flowRuns.flowStillRuns(scope, flowName))) {
      throw new ConflictException(`The flow ${flowName} cannot run: its destination domain ${flow.domainName} (or the integration it belongs to) no longer exists.`);
    }
    const executionId = await createRunNow(deps.store, scope, flow, 'Event', deps.clock.now());
    if (!executionId) throw new ConflictException(`The flow ${flowName} has a run in progress; signal it again once that run has ended.`);
    deps.engine?.wake();
    return sendJson(reply, 202, { flowArn: flow.flowArn, executionId });
  });
}
