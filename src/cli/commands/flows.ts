import {
  type AppflowClient,
  DescribeFlowCommand,
  type DescribeFlowCommandOutput,
  DescribeFlowExecutionRecordsCommand,
  type ExecutionRecord,
  type FlowDefinition,
  ListFlowsCommand,
  StartFlowCommand,
  StopFlowCommand,
} from '@aws-sdk/client-appflow';
import { appflowClientOf, atMostOne, commonOf, iso, noMoreArguments, parse, printJson, required, table, UsageError, wholeNumber, write } from './common.js';

export const FLOWS_HELP = `Usage (Amazon AppFlow flows and their runs):
  profileflow flows list     [--max-results N]
  profileflow flows describe <flow-name>
  profileflow flows runs     <flow-name> [--max-results N] [--watch [--until-idle] [--interval-ms 1000]]
  profileflow flows watch    <flow-name> [--until-idle | --execution-id ID] [--interval-ms 1000]
  profileflow flows start    <flow-name> [--watch]
  profileflow flows stop     <flow-name>
Every <flow-name> may be given as --flow-name instead.
Common: --endpoint-url URL (default http://127.0.0.1:4599; AWS_ENDPOINT_URL_APPFLOW) --region R --profile P --output table|json
watch redraws the flow's runs (newest first) until interrupted; --until-idle ends it once no run is in
progress, --execution-id once that run has ended. start --watch follows the run it started. A followed
run exits 0 when Successful, 1 when it ended in Error or was Canceled.
`;

const OPTIONS = {
  'flow-name': { type: 'string' },
  'max-results': { type: 'string' },
  'interval-ms': { type: 'string' },
  'execution-id': { type: 'string' },
  'until-idle': { type: 'boolean' },
  watch: { type: 'boolean' },
} as const;

const SUBCOMMANDS = new Set(['list', 'describe', 'runs', 'watch', 'start', 'stop']);
/** Runs still moving: a watch that waits for idleness waits for these to end. */
const RUNNING = new Set(['InProgress', 'CancelStarted']);
/** How many runs a watch frame shows (newest first). */
const WATCH_ROWS = 10;

export async function flowsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS);
  const sub = positionals[0];
  if (values.help) {
    write(FLOWS_HELP);
    return 0;
  }
  if (!sub) throw new UsageError('flows needs a command: list, describe, runs, watch, start or stop.');
  if (!SUBCOMMANDS.has(sub)) throw new UsageError(`Unknown flows command '${sub}'.`);
  noMoreArguments(positionals, sub === 'list' ? 1 : 2);
  const max = wholeNumber(values, 'max-results', 1);
  const intervalMs = wholeNumber(values, 'interval-ms', 50, 1000);
  atMostOne(values, ['until-idle', 'execution-id']);
  const common = commonOf(values, process.env, 'appflow');
  // Usage is settled before any call: a wrong command line never reaches the service.
  const flowName = sub === 'list' ? '' : required(values, 'flow-name', { name: '<flow-name>', value: positionals[1] });
  if (values['execution-id'] !== undefined && sub !== 'watch') throw new UsageError('--execution-id is for flows watch.');
  if (values['until-idle'] && sub !== 'watch' && !(sub === 'runs' && values.watch)) throw new UsageError('--until-idle is for flows watch (or flows runs --watch).');
  if (values.watch && sub !== 'runs' && sub !== 'start') throw new UsageError('--watch is for flows runs and flows start.');
  const client = await appflowClientOf(common);
  try {
    switch (sub) {
      case 'list': {
        const flows: FlowDefinition[] = [];
        let token: string | undefined;
        do {
          const page = await client.send(new ListFlowsCommand({ nextToken: token, maxResults: max && max < 100 ? max : undefined }));
          flows.push(...(page.flows ?? []));
          token = page.nextToken;
        } while (token && (!max || flows.length < max));
        const shown = max ? flows.slice(0, max) : flows;
        if (common.json) printJson({ flows: shown });
        else
          write(
            table(
              shown.map((f) => ({
                NAME: f.flowName,
                STATUS: f.flowStatus,
                TRIGGER: f.triggerType,
                SOURCE: f.sourceConnectorType,
                DESTINATION: f.destinationConnectorType,
                LAST_RUN: f.lastRunExecutionDetails?.mostRecentExecutionStatus,
                UPDATED: iso(f.lastUpdatedAt),
              })),
              ['NAME', 'STATUS', 'TRIGGER', 'SOURCE', 'DESTINATION', 'LAST_RUN', 'UPDATED'],
            ),
          );
        return 0;
      }
      case 'describe': {
        const { $metadata: _m, ...flow } = await client.send(new DescribeFlowCommand({ flowName }));
        if (common.json) printJson(flow);
        else write(describeFlow(flow));
        return 0;
      }
      case 'runs': {
        if (values.watch) return await watch(client, flowName, { intervalMs, untilIdle: values['until-idle'] === true, json: common.json });
        const runs = await executions(client, flowName, max);
        if (common.json) printJson({ flowExecutions: runs });
        else write(table(runs.map(runRow), ['EXECUTION_ID', 'STATUS', 'STARTED', 'UPDATED', 'WINDOW_START', 'WINDOW_END', 'RECORDS', 'MESSAGE']));
        return 0;
      }
      case 'watch':
        return await watch(client, flowName, {
          intervalMs,
          untilIdle: values['until-idle'] === true,
          executionId: values['execution-id'] as string | undefined,
          json: common.json,
        });
      case 'start': {
        const { $metadata: _m, ...out } = await client.send(new StartFlowCommand({ flowName }));
        if (common.json && !values.watch) printJson(out);
        else if (!common.json) write(`Started flow ${flowName} (${out.flowStatus})${out.executionId ? `: execution ${out.executionId}` : ''}.\n`);
        if (!values.watch) return 0;
        // A scheduled or event flow is only activated: there is no one run to follow, so the watch
        // follows them all until none is in progress.
        return await watch(client, flowName, { intervalMs, untilIdle: !out.executionId, executionId: out.executionId, json: common.json });
      }
      case 'stop': {
        const { $metadata: _m, ...out } = await client.send(new StopFlowCommand({ flowName }));
        if (common.json) printJson(out);
        else write(`Stopped flow ${flowName} (${out.flowStatus}).\n`);
        return 0;
      }
    }
    return 2;
  } finally {
    client.destroy();
  }
}

/** Every run of the flow (or the first `max`), newest first whatever order the pages come in. */
async function executions(client: AppflowClient, flowName: string, max?: number): Promise<ExecutionRecord[]> {
  const runs: ExecutionRecord[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new DescribeFlowExecutionRecordsCommand({ flowName, nextToken: token, maxResults: max && max < 100 ? max : undefined }));
    runs.push(...(page.flowExecutions ?? []));
    token = page.nextToken;
  } while (token && (!max || runs.length < max));
  runs.sort((a, b) => (b.startedAt?.getTime() ?? 0) - (a.startedAt?.getTime() ?? 0));
  return max ? runs.slice(0, max) : runs;
}

function runRow(r: ExecutionRecord) {
  return {
    EXECUTION_ID: r.executionId,
    STATUS: r.executionStatus,
    STARTED: iso(r.startedAt),
    UPDATED: iso(r.lastUpdatedAt),
    WINDOW_START: iso(r.dataPullStartTime),
    WINDOW_END: iso(r.dataPullEndTime),
    RECORDS: r.executionResult?.recordsProcessed,
    MESSAGE: r.executionResult?.errorInfo?.executionMessage,
  };
}

/** "Scheduled rate(1hours), from 2026-01-01T00:00:00.000Z, Incremental": the trigger in one line. */
function triggerOf(flow: Omit<DescribeFlowCommandOutput, '$metadata'>): string | undefined {
  const t = flow.triggerConfig;
  if (!t?.triggerType) return undefined;
  const s = t.triggerProperties?.Scheduled;
  if (t.triggerType !== 'Scheduled' || !s) return t.triggerType;
  const parts = [`Scheduled ${s.scheduleExpression}`];
  if (s.scheduleStartTime) parts.push(`from ${iso(s.scheduleStartTime)}`);
  if (s.scheduleEndTime) parts.push(`until ${iso(s.scheduleEndTime)}`);
  if (s.timezone) parts.push(s.timezone);
  if (s.dataPullMode) parts.push(s.dataPullMode);
  return parts.join(', ');
}

function describeFlow(flow: Omit<DescribeFlowCommandOutput, '$metadata'>): string {
  const source = flow.sourceFlowConfig;
  const sourceProps = source?.sourceConnectorProperties as Record<string, { object?: string; bucketName?: string; bucketPrefix?: string } | undefined> | undefined;
  const object = source?.connectorType ? sourceProps?.[source.connectorType === 'Servicenow' ? 'ServiceNow' : source.connectorType] : undefined;
  const destinations = (flow.destinationFlowConfigList ?? []).map((d) => {
    const cp = d.destinationConnectorProperties?.CustomerProfiles;
    return cp ? `${d.connectorType} domain ${cp.domainName}${cp.objectTypeName ? `, object type ${cp.objectTypeName}` : ''}` : String(d.connectorType);
  });
  const last = flow.lastRunExecutionDetails;
  const lines: [string, unknown][] = [
    ['FlowName', flow.flowName],
    ['FlowArn', flow.flowArn],
    ['Description', flow.description],
    ['Status', flow.flowStatus],
    ['StatusMessage', flow.flowStatusMessage],
    ['Trigger', triggerOf(flow)],
    [
      'Source',
      source ? `${source.connectorType}${source.connectorProfileName ? ` via ${source.connectorProfileName}` : ''}${object?.object ? `, object ${object.object}` : object?.bucketName ? `, s3://${object.bucketName}/${object.bucketPrefix ?? ''}` : ''}` : undefined,
    ],
    ['Destination', destinations.join('; ') || undefined],
    ['Tasks', flow.tasks?.length],
    ['LastRun', last?.mostRecentExecutionStatus ? `${last.mostRecentExecutionStatus} at ${iso(last.mostRecentExecutionTime)}${last.mostRecentExecutionMessage ? `: ${last.mostRecentExecutionMessage}` : ''}` : undefined],
    ['Created', iso(flow.createdAt)],
    ['CreatedBy', flow.createdBy],
    ['LastUpdated', iso(flow.lastUpdatedAt)],
  ];
  return `${lines.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k.padEnd(15)}${String(v)}`).join('\n')}\n`;
}

interface WatchOptions {
  intervalMs: number;
  /** End once no run is in progress. */
  untilIdle: boolean;
  /** End once this run has ended; its status chooses the exit code. */
  executionId?: string;
  json: boolean;
}

/**
 * Polls DescribeFlow and DescribeFlowExecutionRecords (so it works against AWS too) and shows the newest
 * runs with a bar each: redrawn in place on a terminal, one frame per change otherwise. A run's bar is
 * its share of the most records any shown run processed (AppFlow gives no total ahead of a run).
 */
async function watch(client: AppflowClient, flowName: string, o: WatchOptions): Promise<number> {
  const tty = process.stdout.isTTY === true && !o.json;
  let drawn = 0;
  let last = '';
  for (;;) {
    const { $metadata: _m, ...flow } = await client.send(new DescribeFlowCommand({ flowName }));
    const runs = await executions(client, flowName);
    const followed = o.executionId ? runs.find((r) => r.executionId === o.executionId) : undefined;
    if (o.json) {
      const line = JSON.stringify({
        flowName,
        flowStatus: flow.flowStatus,
        flowExecutions: runs.slice(0, WATCH_ROWS).map((r) => ({ executionId: r.executionId, executionStatus: r.executionStatus, recordsProcessed: r.executionResult?.recordsProcessed ?? 0 })),
      });
      if (line !== last) write(`${line}\n`);
      last = line;
    } else {
      const frame = render(flow, runs, o.executionId);
      if (tty) {
        if (drawn) process.stdout.write(`\x1b[${drawn}F\x1b[J`);
        process.stdout.write(frame);
        drawn = frame.split('\n').length - 1;
      } else if (frame !== last) {
        write(frame);
      }
      last = frame;
    }
    if (o.executionId) {
      if (followed && !RUNNING.has(followed.executionStatus ?? 'InProgress')) return followed.executionStatus === 'Successful' ? 0 : 1;
    } else if (o.untilIdle && !runs.some((r) => RUNNING.has(r.executionStatus ?? ''))) {
      return 0;
    }
    await new Promise((r) => setTimeout(r, o.intervalMs));
  }
}

function render(flow: Omit<DescribeFlowCommandOutput, '$metadata'>, runs: ExecutionRecord[], followed?: string): string {
  const running = runs.filter((r) => RUNNING.has(r.executionStatus ?? '')).length;
  const lines = [`${flow.flowName} ${flow.flowStatus} (${triggerOf(flow) ?? 'no trigger'}) — ${runs.length} ${runs.length === 1 ? 'run' : 'runs'}, ${running} in progress`];
  if (followed && !runs.some((r) => r.executionId === followed)) lines.push(`  waiting for execution ${followed} to be listed`);
  const shown = runs.slice(0, WATCH_ROWS);
  const most = Math.max(1, ...shown.map((r) => r.executionResult?.recordsProcessed ?? 0));
  const width = 20;
  for (const r of shown) {
    const records = r.executionResult?.recordsProcessed ?? 0;
    const filled = Math.round((records / most) * width);
    const window = r.dataPullStartTime || r.dataPullEndTime ? `  window ${iso(r.dataPullStartTime)} → ${iso(r.dataPullEndTime)}` : '';
    const message = r.executionResult?.errorInfo?.executionMessage;
    lines.push(
      `  ${r.executionId === followed ? '>' : ' '} ${r.executionId} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(r.executionStatus).padEnd(13)} ${records} records${window}${message ? ` — ${message}` : ''}`,
    );
  }
  if (runs.length > shown.length) lines.push(`  … ${runs.length - shown.length} older ${runs.length - shown.length === 1 ? 'run' : 'runs'} (flows runs ${flow.flowName})`);
  return `${lines.join('\n')}\n`;
}
