import {
  type CustomerProfilesClient,
  DeleteWorkflowCommand,
  GetWorkflowCommand,
  type GetWorkflowCommandOutput,
  GetWorkflowStepsCommand,
  ListWorkflowsCommand,
  type WorkflowStepItem,
} from '@aws-sdk/client-customer-profiles';
import { progressText } from '../../domain/step-progress.js';
import { bar, fromAwsSteps, fromRouteSteps, type RouteStep, type ShownStep, workflowProgressText } from './progress.js';
import {
  admin,
  clientOf,
  type Common,
  commonOf,
  iso,
  noMoreArguments,
  parse,
  printJson,
  required,
  ServiceCallError,
  table,
  UsageError,
  wholeNumber,
  write,
} from './common.js';

export const WORKFLOWS_HELP = `Usage:
  profileflow workflows list   --domain D [--status S] [--max-results N]
  profileflow workflows get    --domain D <workflow-id>
  profileflow workflows steps  --domain D <workflow-id>
  profileflow workflows watch  --domain D <workflow-id> [--interval-ms 500]
  profileflow workflows delete --domain D <workflow-id>
--domain is also spelled --domain-name, and <workflow-id> may be given as --workflow-id.
Common: --endpoint-url URL (default http://127.0.0.1:4599) --region R --profile P --output table|json
watch redraws a progress bar per step until the workflow ends; it exits 1 when it FAILED or was CANCELLED.
A step's bar is its own progress: the share of its window read, or its records against the source's
estimate (profileflow's progress route); against AWS, its records against what the completed steps held.
`;

const OPTIONS = {
  domain: { type: 'string', short: 'd' },
  'domain-name': { type: 'string' },
  'workflow-id': { type: 'string' },
  status: { type: 'string' },
  'max-results': { type: 'string' },
  'interval-ms': { type: 'string' },
} as const;

const SUBCOMMANDS = new Set(['list', 'get', 'steps', 'watch', 'delete']);

export async function workflowsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS);
  const sub = positionals[0];
  if (values.help) {
    write(WORKFLOWS_HELP);
    return 0;
  }
  if (!sub) throw new UsageError('workflows needs a command: list, get, steps, watch or delete.');
  if (!SUBCOMMANDS.has(sub)) throw new UsageError(`Unknown workflows command '${sub}'.`);
  noMoreArguments(positionals, sub === 'list' ? 1 : 2);
  const common = commonOf(values);
  const domain = required(values, ['domain', 'domain-name']);
  const workflowId = sub === 'list' ? '' : required(values, 'workflow-id', { name: '<workflow-id>', value: positionals[1] });
  const maxResults = wholeNumber(values, 'max-results', 1);
  const intervalMs = wholeNumber(values, 'interval-ms', 50, 500);
  const client = await clientOf(common);
  try {
    switch (sub) {
      case 'list': {
        const items = [];
        let token: string | undefined;
        const max = maxResults;
        do {
          const page = await client.send(
            new ListWorkflowsCommand({ DomainName: domain, Status: values.status as never, NextToken: token, MaxResults: max && max < 100 ? max : undefined }),
          );
          items.push(...(page.Items ?? []));
          token = page.NextToken;
        } while (token && (!max || items.length < max));
        const shown = max ? items.slice(0, max) : items;
        if (common.json) {
          printJson({ Items: shown });
          return 0;
        }
        const progress = await progressOf(common, client, domain, shown.map((w) => w.WorkflowId!));
        const rows = shown.map((w, i) => ({ WORKFLOW_ID: w.WorkflowId, STATUS: w.Status, PROGRESS: progress[i], TYPE: w.WorkflowType, CREATED: iso(w.CreatedAt), UPDATED: iso(w.LastUpdatedAt), DESCRIPTION: w.StatusDescription }));
        write(table(rows, ['WORKFLOW_ID', 'STATUS', 'PROGRESS', 'TYPE', 'CREATED', 'UPDATED', 'DESCRIPTION']));
        return 0;
      }
      case 'get': {
        const w = await client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId: workflowId }));
        const { $metadata: _m, ...out } = w;
        if (common.json) printJson(out);
        else write(describeWorkflow(w));
        return 0;
      }
      case 'steps': {
        const steps = await allSteps(client, domain, workflowId);
        if (common.json) printJson({ Items: steps });
        else write(table(steps.map(stepRow), ['STEP', 'STATUS', 'RECORDS', 'BATCH_START', 'BATCH_END', 'MESSAGE']));
        return 0;
      }
      case 'delete': {
        await client.send(new DeleteWorkflowCommand({ DomainName: domain, WorkflowId: workflowId }));
        if (common.json) printJson({ WorkflowId: workflowId, Deleted: true });
        else write(`Deleted workflow ${workflowId}.\n`);
        return 0;
      }
      case 'watch':
        return await watch(client, stepReader(common, client, domain, workflowId), domain, workflowId, intervalMs, common.json);
      default:
        throw new UsageError(`Unknown workflows command '${sub}'.`);
    }
  } finally {
    client.destroy();
  }
}

/**
 * Each workflow's progress, a few at a time: from the progress route (its steps' shares summed), or,
 * once the service has answered that it has no such route (AWS), from GetWorkflow's Metrics alone (the
 * share of completed steps; ListWorkflows has none). A workflow deleted meanwhile shows an empty cell.
 */
async function progressOf(common: Common, client: CustomerProfilesClient, domain: string, ids: string[]): Promise<string[]> {
  const out: string[] = new Array(ids.length).fill('');
  let route = true;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < ids.length; i = next++) {
      if (route) {
        const read = await routeProgress(common, domain, ids[i]);
        if (read) {
          out[i] = workflowProgressText(read.stepsCompleted, read.totalSteps, fromRouteSteps(read.steps));
          continue;
        }
        route = false;
      }
      try {
        const m = (await client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId: ids[i] }))).Metrics?.AppflowIntegration;
        out[i] = workflowProgressText(m?.StepsCompleted, m?.TotalSteps);
      } catch (err) {
        if ((err as Error).name !== 'ResourceNotFoundException') throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, ids.length) }, worker));
  return out;
}

/** What the progress route answers (the members read here). */
interface RouteProgress {
  stepsCompleted: number;
  totalSteps: number;
  steps: RouteStep[];
}

/**
 * A workflow's steps from profileflow's progress route, every page of them; undefined when the service
 * answers with an error (AWS has no such route; a workflow deleted meanwhile is missing) or with
 * something else than the route's answer. Only a failure to reach the service is thrown.
 */
async function routeProgress(common: Common, domain: string, workflowId: string): Promise<RouteProgress | undefined> {
  const path = `workflows/${encodeURIComponent(domain)}/${encodeURIComponent(workflowId)}/progress`;
  let read: RouteProgress | undefined;
  let after: number | undefined;
  for (;;) {
    let page: unknown;
    try {
      page = await admin(common, 'GET', after === undefined ? path : `${path}?after=${after}`);
    } catch (err) {
      if (err instanceof ServiceCallError || err instanceof SyntaxError) return undefined;
      throw err;
    }
    if (!isRouteProgress(page)) return undefined;
    if (read) read.steps.push(...page.steps);
    else read = { stepsCompleted: page.stepsCompleted, totalSteps: page.totalSteps, steps: [...page.steps] };
    const more = (page as { next?: unknown }).next;
    if (typeof more !== 'number') return read;
    after = more;
  }
}

function isRouteProgress(value: unknown): value is RouteProgress {
  const v = value as Partial<RouteProgress> | null;
  return typeof v === 'object' && v !== null && typeof v.stepsCompleted === 'number' && typeof v.totalSteps === 'number' && Array.isArray(v.steps);
}

/**
 * How `watch` reads the steps: through the progress route while the service answers it; after the first
 * time it does not (AWS), through GetWorkflowSteps, silently.
 */
function stepReader(common: Common, client: CustomerProfilesClient, domain: string, workflowId: string): () => Promise<ShownStep[]> {
  let route = true;
  return async () => {
    if (route) {
      const read = await routeProgress(common, domain, workflowId);
      if (read) return fromRouteSteps(read.steps);
      route = false;
    }
    return fromAwsSteps(await allSteps(client, domain, workflowId));
  };
}

async function allSteps(client: CustomerProfilesClient, domain: string, workflowId: string) {
  const items = [];
  let token: string | undefined;
  do {
    const page = await client.send(new GetWorkflowStepsCommand({ DomainName: domain, WorkflowId: workflowId, NextToken: token }));
    items.push(...(page.Items ?? []).map((i: WorkflowStepItem) => i.AppflowIntegration!).filter(Boolean));
    token = page.NextToken;
  } while (token);
  return items;
}

function stepRow(s: NonNullable<WorkflowStepItem['AppflowIntegration']>, i: number) {
  return {
    STEP: i + 1,
    STATUS: s.Status,
    RECORDS: s.RecordsProcessed,
    BATCH_START: s.BatchRecordsStartTime,
    BATCH_END: s.BatchRecordsEndTime,
    MESSAGE: s.ExecutionMessage,
  };
}

function describeWorkflow(w: GetWorkflowCommandOutput): string {
  const m = w.Metrics?.AppflowIntegration;
  const a = w.Attributes?.AppflowIntegration;
  const lines: [string, unknown][] = [
    ['WorkflowId', w.WorkflowId],
    ['Type', w.WorkflowType],
    ['Status', w.Status],
    ['ErrorDescription', w.ErrorDescription],
    ['Started', iso(w.StartDate)],
    ['LastUpdated', iso(w.LastUpdatedAt)],
    ['Source', a ? `${a.SourceConnectorType} via ${a.ConnectorProfileName}` : undefined],
    ['Records', m?.RecordsProcessed],
    ['Steps', m ? `${m.StepsCompleted} of ${m.TotalSteps} complete` : undefined],
  ];
  return `${lines.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k.padEnd(17)}${String(v)}`).join('\n')}\n`;
}

const FINAL = new Set(['COMPLETE', 'FAILED', 'CANCELLED']);

/**
 * Polls GetWorkflow and the steps (`readSteps`: the progress route, or GetWorkflowSteps against AWS) and
 * shows one bar per step: redrawn in place on a terminal, one line per change otherwise. A step's bar is
 * its own progress (domain/step-progress.ts): full only when COMPLETE, and its line says what the share
 * was read from.
 */
async function watch(
  client: CustomerProfilesClient,
  readSteps: () => Promise<ShownStep[]>,
  domain: string,
  workflowId: string,
  intervalMs: number,
  json: boolean,
): Promise<number> {
  const tty = process.stdout.isTTY === true && !json;
  let drawn = 0;
  let last = '';
  for (;;) {
    let w: GetWorkflowCommandOutput;
    try {
      w = await client.send(new GetWorkflowCommand({ DomainName: domain, WorkflowId: workflowId }));
    } catch (err) {
      // A workflow deleted while watched reads as missing: that is its cancellation.
      if ((err as Error).name === 'ResourceNotFoundException' && last !== '') {
        write(json ? `${JSON.stringify({ WorkflowId: workflowId, Status: 'CANCELLED' })}\n` : `${workflowId} CANCELLED (deleted)\n`);
        return 1;
      }
      throw err;
    }
    const steps = await readSteps();
    if (json) {
      const line = JSON.stringify({
        WorkflowId: workflowId,
        Status: w.Status,
        Metrics: w.Metrics?.AppflowIntegration,
        Steps: steps.map(({ input, progress }) => ({
          Status: input.status,
          RecordsProcessed: input.recordsProcessed,
          Progress: progress.fraction ?? null,
          Basis: progress.basis ?? null,
        })),
      });
      if (line !== last) write(`${line}\n`);
      last = line;
    } else {
      const frame = render(w, steps);
      if (tty) {
        if (drawn) process.stdout.write(`\x1b[${drawn}F\x1b[J`);
        process.stdout.write(frame);
        drawn = frame.split('\n').length - 1;
      } else if (frame !== last) {
        write(frame);
      }
      last = frame;
    }
    if (FINAL.has(w.Status ?? '')) return w.Status === 'COMPLETE' ? 0 : 1;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function render(w: GetWorkflowCommandOutput, steps: ShownStep[]): string {
  const m = w.Metrics?.AppflowIntegration;
  const lines = [`${w.WorkflowId} ${w.Status} — ${m?.RecordsProcessed ?? 0} records, ${m?.StepsCompleted ?? 0}/${m?.TotalSteps ?? 0} steps${w.ErrorDescription ? ` — ${w.ErrorDescription}` : ''}`];
  steps.forEach(({ input, progress }, i) => {
    lines.push(`  step ${String(i + 1).padStart(3)} ${bar(progress)} ${String(input.status).padEnd(11)} ${progressText(input, progress)}`);
  });
  return `${lines.join('\n')}\n`;
}
