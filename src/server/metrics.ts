import type { FastifyInstance } from 'fastify';
import type { EngineEvent } from '../engine/engine.js';
import type { Store } from '../store/types.js';
import type { RequestStep } from './request-hooks.js';

/** Seconds; the Prometheus client defaults, which suit an API answered in milliseconds. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

/** Flows given series of their own in the by-flow run families; the rest share flow="(other)". */
export const MAX_LABELLED_FLOWS = 1000;

/** One metric family: its samples keyed by their label set. */
class Family {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly type: 'counter' | 'gauge',
    readonly help: string,
    /** Unlabelled families show 0 before their first increment, so a scrape always has the series. */
    readonly unlabelled = false,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const sample = this.values.get(key) ?? { labels, value: 0 };
    sample.value += by;
    this.values.set(key, sample);
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}
  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i] += 1;
    s.sum += value;
    s.count += 1;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const s of this.series.values()) {
      this.buckets.forEach((le, i) => out.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(le) })} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
  }
}

/**
 * This process's metrics, in the Prometheus text exposition format (0.0.4), written by hand: counters
 * for what happened here (requests, engine outcomes, webhook deliveries), gauges read from the store at
 * scrape time for what every process shares (steps and workflows by status, records processed).
 * Counters are per process: a `profileflow worker` keeps its own and serves them on its `--metrics-port`.
 */
export class Metrics {
  readonly requests = new Family('profileflow_requests_total', 'counter', 'Requests answered, by operation and HTTP status.');
  readonly duration = new Histogram('profileflow_request_duration_seconds', 'Time to answer a request, by operation.', DURATION_BUCKETS);
  readonly stepOutcomes = new Family('profileflow_step_outcomes_total', 'counter', 'Step runs finished by this process, by outcome.');
  readonly retries = new Family('profileflow_step_retries_total', 'counter', 'Steps this process scheduled for a retry after a transient source failure.', true);
  readonly splits = new Family('profileflow_step_splits_total', 'counter', 'Steps this process split into two halves.', true);
  readonly takeovers = new Family('profileflow_lease_takeovers_total', 'counter', 'Steps and flow runs this process claimed after another owner\'s lease expired.', true);
  readonly engineErrors = new Family('profileflow_engine_errors_total', 'counter', 'Unexpected engine errors: a storage fault (the unit is handed back) or an internal error (the unit is retried, then fails).', true);
  readonly faults = new Family('profileflow_faults_injected_total', 'counter', 'Requests a fault rule delayed or failed, by operation and effect.');
  /** Flow runs, all flows together: status has three values, so these stay three series and one. */
  readonly flowRuns = new Family('profileflow_flow_runs_total', 'counter', 'Flow runs this process ended, by final status (Successful, Error, Canceled).');
  readonly flowRunRecords = new Family('profileflow_flow_run_records_total', 'counter', 'Records the flow runs this process ended brought into their domains.', true);
  readonly flowRunRetries = new Family('profileflow_flow_run_retries_total', 'counter', 'Flow runs this process scheduled for a retry after a transient source failure.', true);
  /**
   * The same, by flow. Flow names are chosen by every account's callers, so the flows labelled are capped
   * (MAX_LABELLED_FLOWS): runs of flows beyond the cap are counted under flow="(other)" rather than
   * letting tenants grow the scrape without bound.
   */
  readonly flowRunsByFlow = new Family('profileflow_flow_runs_by_flow_total', 'counter', 'Flow runs this process ended, by account, region, flow and final status.');
  readonly flowRunRecordsByFlow = new Family('profileflow_flow_run_records_by_flow_total', 'counter', 'Records the flow runs this process ended brought in, by account, region and flow.');
  private readonly labelledFlows = new Set<string>();
  readonly webhooks = new Family('profileflow_webhook_deliveries_total', 'counter', 'Webhook delivery attempts, by result (delivered, retry, failed).');
  /** Gauges computed at scrape time by whoever registers them (event subscribers…). */
  private readonly liveGauges: { name: string; help: string; read: () => number }[] = [];

  constructor(private readonly store?: Store) {}

  /** Counts one engine outcome. */
  observeEngine(event: EngineEvent): void {
    if (event.type === 'error') {
      this.engineErrors.inc();
      return;
    }
    if (event.type === 'purged') return;
    if (event.type === 'run') {
      this.flowRuns.inc({ status: event.status });
      this.flowRunRecords.inc({}, event.recordsProcessed);
      const flow = this.flowLabels(event.accountId, event.region, event.flowName);
      this.flowRunsByFlow.inc({ ...flow, status: event.status });
      this.flowRunRecordsByFlow.inc(flow, event.recordsProcessed);
      if (event.tookOver) this.takeovers.inc();
      return;
    }
    if (event.type === 'run-progress') {
      if (event.outcome === 'retry') this.flowRunRetries.inc();
      if (event.tookOver) this.takeovers.inc();
      return;
    }
    this.stepOutcomes.inc({ outcome: event.outcome });
    if (event.outcome === 'retry') this.retries.inc();
    if (event.outcome === 'split') this.splits.inc();
    if (event.tookOver) this.takeovers.inc();
  }

  private flowLabels(account: string, region: string, flow: string): Labels {
    const key = `${account}/${region}/${flow}`;
    if (!this.labelledFlows.has(key)) {
      if (this.labelledFlows.size >= MAX_LABELLED_FLOWS) return { account: '(other)', region: '(other)', flow: '(other)' };
      this.labelledFlows.add(key);
    }
    return { account, region, flow };
  }

  gauge(name: string, help: string, read: () => number): void {
    this.liveGauges.push({ name, help, read });
  }

  async render(): Promise<string> {
    const out: string[] = [];
    for (const family of [this.requests]) renderFamily(family, out);
    this.duration.render(out);
    for (const family of [this.stepOutcomes, this.retries, this.splits, this.takeovers, this.engineErrors, this.flowRuns, this.flowRunRecords, this.flowRunRetries, this.flowRunsByFlow, this.flowRunRecordsByFlow, this.faults, this.webhooks]) {
      renderFamily(family, out);
    }
    if (this.store) {
      const [steps, workflows, records, activeRuns] = await Promise.all([
        this.store.activity.stepCountsByStatus(),
        this.store.activity.workflowCountsByStatus(),
        this.store.activity.recordsProcessed(),
        this.store.flowRuns.activeCounts(),
      ]);
      renderGauge(out, 'profileflow_steps', 'Workflow steps in the store, by status (every process\'s work).', 'status', steps);
      renderGauge(out, 'profileflow_workflows', 'Workflows in the store, by status.', 'status', workflows);
      out.push(
        '# HELP profileflow_records_processed Records ingested by the live workflows in the store (RecordsProcessed summed).',
        '# TYPE profileflow_records_processed gauge',
        `profileflow_records_processed ${records}`,
        '# HELP profileflow_flow_runs_active Flow runs in the store that have not ended (every process\'s), by status.',
        '# TYPE profileflow_flow_runs_active gauge',
        ...['InProgress', 'CancelStarted'].map((status) => `profileflow_flow_runs_active${labelText({ status })} ${activeRuns[status] ?? 0}`),
      );
    }
    for (const g of this.liveGauges) out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`, `${g.name} ${g.read()}`);
    renderProcessMemory(out);
    return `${out.join('\n')}\n`;
  }
}

/** This process's memory under the names prom-client's default collectors use, so existing dashboards read them. */
function renderProcessMemory(out: string[]): void {
  const m = process.memoryUsage();
  const gauges: [string, string, number][] = [
    ['process_resident_memory_bytes', 'Resident set size of this process.', m.rss],
    ['nodejs_heap_size_total_bytes', 'V8 heap reserved by this process.', m.heapTotal],
    ['nodejs_heap_size_used_bytes', 'V8 heap in use (live and not yet collected).', m.heapUsed],
    ['nodejs_external_memory_bytes', 'Memory held outside the V8 heap by objects it tracks (buffers, native handles).', m.external],
    ['nodejs_array_buffers_bytes', 'Memory of ArrayBuffers and Buffers (part of the external memory).', m.arrayBuffers],
  ];
  for (const [name, help, value] of gauges) out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
}

const STATUSES = ['NOT_STARTED', 'IN_PROGRESS', 'RETRY', 'SPLIT', 'COMPLETE', 'FAILED', 'CANCELLED'];

function renderGauge(out: string[], name: string, help: string, label: string, values: Record<string, number>): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
  // Every status, zeros included, so that a dashboard's series never vanish.
  for (const status of new Set([...STATUSES, ...Object.keys(values)])) out.push(`${name}${labelText({ [label]: status })} ${values[status] ?? 0}`);
}

function renderFamily(family: Family, out: string[]): void {
  out.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
  if (family.values.size === 0 && family.unlabelled) out.push(`${family.name} 0`);
  for (const s of family.values.values()) out.push(`${family.name}${labelText(s.labels)} ${s.value}`);
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

const LABEL_SPECIALS = /[\\"\n]/;

/** Every request counts itself under its labels: most values need no escaping, so that is checked first. */
function escapeLabelValue(v: string): string {
  return LABEL_SPECIALS.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/**
 * Request metrics, a step of `onResponse` (so the AWS route needs no change). Latency is Fastify's
 * `elapsedTime`: from the request's first hook to its answer, fault-injected delays included. The label is
 * the request context's operation: an AWS operation, an admin route pattern or `Unknown`, so no caller can
 * add series.
 */
export function requestMetricsStep(metrics: Metrics): RequestStep {
  return (request, reply) => {
    const operation = request.ctx?.operation ?? 'Unknown';
    if (operation === METRICS_ROUTE) return;
    metrics.requests.inc({ operation, status: String(reply.statusCode) });
    metrics.duration.observe({ operation }, reply.elapsedTime / 1000);
  };
}

const METRICS_ROUTE = '/_profileflow/metrics';

/** The scrape route, on the admin surface (operator only: it shows every account's counts). */
export function registerMetricsRoute(admin: FastifyInstance, metrics: Metrics): void {
  admin.get('/metrics', { config: { access: 'operator' } }, async (_request, reply) => {
    const text = await metrics.render();
    return reply.code(200).header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(text);
  });
}
