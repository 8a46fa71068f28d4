/**
 * The AppFlow slice's flows: the list (ListFlows) and one flow's page (DescribeFlow, and its runs from
 * DescribeFlowExecutionRecords as a chart and a table). The requests are signed for `appflow`, which the
 * service routes to its AppFlow operations on the same origin.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { aws, isAbort } from './api.js';
import { Empty, ErrorNotice, LoadMore, StatusBadge, Time, usePaged, useRead, Window } from './components.js';
import { formatCount, formatDate, statusLabel, toDate, uri } from './format.js';
import { Link } from './router.js';
import type { Flow, FlowExecution, FlowExecutions, FlowListItem, ListFlows, ListIntegrations } from './wire.js';

/** DescribeFlowExecutionRecords' largest page. */
const RUNS_PAGE = 100;
/** Runs that can still change: the page re-reads while one is shown. */
const RUNNING = new Set(['InProgress', 'CancelStarted']);
/** How often the page re-reads while a run is in progress, and while an active flow may start one. */
const RUNNING_REFRESH_MS = 2000;
const SCHEDULED_REFRESH_MS = 10_000;

function appflow<T>(region: string, path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
  return aws<T>({ region, method: 'POST', path, body, signal, service: 'appflow' });
}

/** `arn:aws:appflow:<region>:<account>:flow/<name>` → the flow's name. */
function flowNameOfArn(arn: string | undefined): string | undefined {
  const m = arn ? /^arn:[^:]+:appflow:[^:]*:[^:]*:flow\/(.+)$/.exec(arn) : null;
  return m ? m[1] : undefined;
}

/** A flow's author when it is an integration workflow (`…:domains/<domain>/workflows/<id>`). */
function workflowOf(createdBy: string | undefined): { domain: string; workflowId: string } | undefined {
  const m = createdBy ? /^arn:[^:]+:profile:[^:]*:[^:]*:domains\/([^/]+)\/workflows\/([^/]+)$/.exec(createdBy) : null;
  return m ? { domain: m[1], workflowId: m[2] } : undefined;
}

function CreatedBy({ value }: { value: string | undefined }) {
  const workflow = workflowOf(value);
  if (workflow) {
    return (
      <Link to={uri`/domains/${workflow.domain}/workflows/${workflow.workflowId}`} title={value}>
        workflow <span class="mono">{workflow.workflowId}</span>
      </Link>
    );
  }
  return value ? <span class="mono break">{value}</span> : <span class="muted">—</span>;
}

/** ListFlows, page by page. */
export function FlowsPage({ region, pageSize }: { region: string; pageSize: number }) {
  const flows = usePaged<FlowListItem>(
    async (token, signal) => {
      const out = await appflow<ListFlows>(region, '/list-flows', { maxResults: pageSize, nextToken: token }, signal);
      return { items: out.flows ?? [], nextToken: out.nextToken };
    },
    `${region}|${pageSize}`,
  );
  return (
    <section>
      <h1>Flows</h1>
      <p class="lead">
        Amazon AppFlow flows into Customer Profiles: those made with <code>CreateFlow</code>, by <code>PutIntegration</code>, and by
        integration workflows when they complete.
      </p>
      <ErrorNotice error={flows.error} what="list the flows" />
      {!flows.error && (
        <div class="table-wrap">
          <table class="flows">
            <caption class="visually-hidden">Flows in {region}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Trigger</th>
                <th scope="col">Source</th>
                <th scope="col">Destination</th>
                <th scope="col">Last run</th>
                <th scope="col">Created by</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {flows.items.map((f) => (
                <tr key={f.flowName} data-flow={f.flowName}>
                  <th scope="row">
                    <Link to={uri`/flows/${f.flowName ?? ''}`} class="mono">
                      {f.flowName}
                    </Link>
                    {f.description && <div class="small muted">{f.description}</div>}
                  </th>
                  <td>
                    <StatusBadge status={f.flowStatus} />
                  </td>
                  <td>{f.triggerType}</td>
                  <td>{f.sourceConnectorType}</td>
                  <td>{f.destinationConnectorType}</td>
                  <td>
                    {f.lastRunExecutionDetails?.mostRecentExecutionStatus ? (
                      <>
                        <StatusBadge status={f.lastRunExecutionDetails.mostRecentExecutionStatus} />{' '}
                        <Time value={f.lastRunExecutionDetails.mostRecentExecutionTime} />
                      </>
                    ) : (
                      <span class="muted">Never run</span>
                    )}
                  </td>
                  <td>
                    <CreatedBy value={f.createdBy} />
                  </td>
                  <td>
                    <Time value={f.lastUpdatedAt} />
                  </td>
                </tr>
              ))}
              {!flows.loading && flows.items.length === 0 && <Empty columns={8}>No flows in {region}.</Empty>}
            </tbody>
          </table>
        </div>
      )}
      {flows.loading && flows.items.length === 0 && <p class="muted">Loading…</p>}
      <LoadMore visible={flows.hasMore && !flows.error} loading={flows.loading} onClick={flows.loadMore} what="flows" />
    </section>
  );
}

/** "rate(1hours) from … until …, Incremental": a scheduled trigger in words. */
function Schedule({ flow }: { flow: Flow }) {
  const s = flow.triggerConfig?.triggerProperties?.Scheduled;
  if (!s) return <span class="muted">—</span>;
  const from = toDate(s.scheduleStartTime);
  const until = toDate(s.scheduleEndTime);
  return (
    <span data-fact="schedule">
      <span class="mono">{s.scheduleExpression}</span>
      {from && <> from {formatDate(from)}</>}
      {until && <> until {formatDate(until)}</>}
      {s.timezone && <> ({s.timezone})</>}
      {s.dataPullMode && <>, {s.dataPullMode === 'Incremental' ? 'incremental' : 'complete'} pulls</>}
    </span>
  );
}

function Source({ flow }: { flow: Flow }) {
  const source = flow.sourceFlowConfig;
  if (!source) return <span class="muted">—</span>;
  const props = source.sourceConnectorProperties as Record<string, { object?: string; bucketName?: string; bucketPrefix?: string } | undefined>;
  const own = props[source.connectorType === 'Servicenow' ? 'ServiceNow' : source.connectorType];
  return (
    <span data-fact="source">
      {source.connectorType}
      {source.connectorProfileName && (
        <>
          {' '}
          via <span class="mono">{source.connectorProfileName}</span>
        </>
      )}
      {own?.object && (
        <>
          , object <span class="mono">{own.object}</span>
        </>
      )}
      {own?.bucketName && (
        <>
          , <span class="mono">{`s3://${own.bucketName}/${own.bucketPrefix ?? ''}`}</span>
        </>
      )}
    </span>
  );
}

function Destination({ flow }: { flow: Flow }) {
  const list = flow.destinationFlowConfigList ?? [];
  if (list.length === 0) return <span class="muted">—</span>;
  return (
    <span data-fact="destination">
      {list.map((d, i) => {
        const cp = d.destinationConnectorProperties?.CustomerProfiles;
        return (
          <span key={i}>
            {i > 0 && '; '}
            {d.connectorType}
            {cp && (
              <>
                {' '}
                domain <Link to={uri`/domains/${cp.domainName}/workflows`}>{cp.domainName}</Link>
                {cp.objectTypeName && (
                  <>
                    , object type <Link to={uri`/domains/${cp.domainName}/object-types/${cp.objectTypeName}`}>{cp.objectTypeName}</Link>
                  </>
                )}
              </>
            )}
          </span>
        );
      })}
    </span>
  );
}

interface RunsState {
  runs: FlowExecution[];
  nextToken: string | undefined;
  /** How many pages are shown: a refresh reads that many again. */
  pages: number;
}

/** DescribeFlow and DescribeFlowExecutionRecords of one flow, re-read while a run is in progress. */
export function FlowPage({ region, flowName }: { region: string; flowName: string }) {
  const [flow, setFlow] = useState<Flow>();
  const [flowError, setFlowError] = useState<unknown>();
  const [state, setState] = useState<RunsState>({ runs: [], nextToken: undefined, pages: 0 });
  const [runsError, setRunsError] = useState<unknown>();
  const [loadingMore, setLoadingMore] = useState(false);
  const stateRef = useRef(state);
  stateRef.current = state;
  const generation = useRef(0);

  const runsPage = useCallback(
    (token: string | undefined) => appflow<FlowExecutions>(region, '/describe-flow-execution-records', { flowName, maxResults: RUNS_PAGE, nextToken: token }),
    [region, flowName],
  );

  /** Re-reads the flow and as many run pages as are shown; an older answer never overwrites a newer one. */
  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    const pages = Math.max(1, stateRef.current.pages);
    try {
      const f = await appflow<Flow>(region, '/describe-flow', { flowName });
      if (mine !== generation.current) return;
      setFlow(f);
      setFlowError(undefined);
    } catch (err) {
      if (mine === generation.current && !isAbort(err)) setFlowError(err);
      return;
    }
    try {
      const runs: FlowExecution[] = [];
      let token: string | undefined;
      let read = 0;
      do {
        const out = await runsPage(token);
        runs.push(...(out.flowExecutions ?? []));
        token = out.nextToken;
        read += 1;
      } while (token && read < pages);
      if (mine !== generation.current) return;
      setState({ runs, nextToken: token, pages: read });
      setRunsError(undefined);
    } catch (err) {
      if (mine === generation.current && !isAbort(err)) setRunsError(err);
    }
  }, [region, flowName, runsPage]);

  useEffect(() => {
    setFlow(undefined);
    setState({ runs: [], nextToken: undefined, pages: 0 });
    void refresh();
    return () => {
      generation.current += 1;
    };
  }, [refresh]);

  const running = state.runs.some((r) => RUNNING.has(r.executionStatus ?? ''));
  const waitsForRuns = flow?.flowStatus === 'Active' && flow.triggerConfig?.triggerType !== 'OnDemand';
  const every = flowError || runsError ? undefined : running ? RUNNING_REFRESH_MS : waitsForRuns ? SCHEDULED_REFRESH_MS : undefined;
  useEffect(() => {
    if (every === undefined) return;
    const timer = window.setInterval(() => void refresh(), every);
    return () => window.clearInterval(timer);
  }, [every, refresh]);

  const loadMore = async () => {
    const { nextToken } = stateRef.current;
    if (!nextToken) return;
    setLoadingMore(true);
    try {
      const out = await runsPage(nextToken);
      setState((before) => ({ runs: [...before.runs, ...(out.flowExecutions ?? [])], nextToken: out.nextToken, pages: before.pages + 1 }));
    } catch (err) {
      setRunsError(err);
    } finally {
      setLoadingMore(false);
    }
  };

  // Newest first in the table, whatever order the pages came in.
  const runs = [...state.runs].sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0));
  const last = flow?.lastRunExecutionDetails;

  return (
    <section>
      <nav class="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/flows">Flows</Link> <span aria-hidden="true">/</span> <span>{flowName}</span>
      </nav>
      <div class="title-row">
        <h1>
          Flow <span class="mono">{flowName}</span>
        </h1>
        {every !== undefined && (
          <span class="live live-polling" data-live="polling" role="status" title="The page re-reads the flow and its runs.">
            {`Refreshing every ${every / 1000} s`}
          </span>
        )}
        <button type="button" onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
      <ErrorNotice error={flowError} what="read the flow" />
      {flow && (
        <div class={`card summary${flow.flowStatus === 'Errored' ? ' card-failed' : ''}`} data-status={flow.flowStatus}>
          {flow.description && <p class="lead">{flow.description}</p>}
          <dl class="facts">
            <div>
              <dt>Status</dt>
              <dd>
                <StatusBadge status={flow.flowStatus} />
              </dd>
            </div>
            <div>
              <dt>Trigger</dt>
              <dd data-fact="trigger">{flow.triggerConfig?.triggerType ?? '—'}</dd>
            </div>
            <div>
              <dt>Schedule</dt>
              <dd>
                <Schedule flow={flow} />
              </dd>
            </div>
            <div>
              <dt>Source</dt>
              <dd>
                <Source flow={flow} />
              </dd>
            </div>
            <div>
              <dt>Destination</dt>
              <dd>
                <Destination flow={flow} />
              </dd>
            </div>
            <div>
              <dt>Last run</dt>
              <dd>
                {last?.mostRecentExecutionStatus ? (
                  <>
                    <StatusBadge status={last.mostRecentExecutionStatus} /> <Time value={last.mostRecentExecutionTime} />
                  </>
                ) : (
                  <span class="muted">Never run</span>
                )}
              </dd>
            </div>
            <div>
              <dt>Created by</dt>
              <dd data-fact="created-by">
                <CreatedBy value={flow.createdBy} />
              </dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>
                <Time value={flow.createdAt} />
              </dd>
            </div>
            <div>
              <dt>ARN</dt>
              <dd class="mono break">{flow.flowArn}</dd>
            </div>
          </dl>
          {(flow.flowStatusMessage || last?.mostRecentExecutionMessage) && (
            <p class={flow.flowStatus === 'Errored' || last?.mostRecentExecutionStatus === 'Error' ? 'error-text' : 'muted'}>
              {flow.flowStatusMessage ?? last?.mostRecentExecutionMessage}
            </p>
          )}
        </div>
      )}

      {flow && (
        <>
          <h2>Runs</h2>
          <ErrorNotice error={runsError} what="read the flow's runs" />
          {!runsError && state.pages > 0 && (
            <>
              <h3>Records processed per run</h3>
              <RunsChart runs={state.runs} />
              <h3>Run history</h3>
              <div class="table-wrap">
                <table class="runs">
                  <caption class="visually-hidden">Runs of flow {flowName}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Execution</th>
                      <th scope="col">Status</th>
                      <th scope="col">Started</th>
                      <th scope="col">Ended</th>
                      <th scope="col">Window</th>
                      <th scope="col" class="num">
                        Records
                      </th>
                      <th scope="col">Message</th>
                    </tr>
                  </thead>
                  <tbody>
                    {runs.map((r) => (
                      <tr key={r.executionId} data-execution-id={r.executionId} data-status={r.executionStatus} class={r.executionStatus === 'Error' ? 'row-failed' : undefined}>
                        <th scope="row" class="mono break">
                          {r.executionId}
                        </th>
                        <td>
                          <StatusBadge status={r.executionStatus} />
                        </td>
                        <td>
                          <Time value={r.startedAt} />
                        </td>
                        <td>{RUNNING.has(r.executionStatus ?? '') ? <span class="muted">—</span> : <Time value={r.lastUpdatedAt} />}</td>
                        <td>{r.dataPullStartTime !== undefined || r.dataPullEndTime !== undefined ? <Window start={r.dataPullStartTime} end={r.dataPullEndTime} /> : <span class="muted">—</span>}</td>
                        <td class="num" data-metric="records">
                          {formatCount(r.executionResult?.recordsProcessed)}
                        </td>
                        <td class="message">{r.executionResult?.errorInfo?.executionMessage}</td>
                      </tr>
                    ))}
                    {runs.length === 0 && <Empty columns={7}>This flow has not run yet.</Empty>}
                  </tbody>
                </table>
              </div>
              <LoadMore visible={state.nextToken !== undefined} loading={loadingMore} onClick={() => void loadMore()} what="runs" />
            </>
          )}
        </>
      )}
    </section>
  );
}

const WIDTH = 720;
const AXIS = 48;
const TOP = 18;
const HEIGHT = 140;
const BOTTOM = 24;
const RIGHT = 16;

/**
 * Records processed per run against the run's start time, as SVG (no library): one stem and dot per run,
 * coloured by its status. The viewBox scales to the width it is given, so it never overflows; the table
 * carries the same numbers.
 */
function RunsChart({ runs }: { runs: FlowExecution[] }) {
  const timed = runs.filter((r) => r.startedAt !== undefined).sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
  if (timed.length === 0) return <p class="muted">No runs yet.</p>;
  const records = (r: FlowExecution) => r.executionResult?.recordsProcessed ?? 0;
  const max = Math.max(1, ...timed.map(records));
  const first = timed[0].startedAt ?? 0;
  const lastAt = timed[timed.length - 1].startedAt ?? 0;
  const span = lastAt - first;
  const plot = WIDTH - AXIS - RIGHT - 16;
  const xOf = (t: number) => AXIS + 8 + (span === 0 ? plot / 2 : ((t - first) / span) * plot);
  const yOf = (n: number) => TOP + HEIGHT - Math.round((n / max) * HEIGHT);
  const height = TOP + HEIGHT + BOTTOM;
  const total = timed.reduce((sum, r) => sum + records(r), 0);
  const firstDate = toDate(first);
  const lastDate = toDate(lastAt);
  return (
    <figure class="chart runs-chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-label={`Records processed per run: ${timed.map((r) => `${formatDate(toDate(r.startedAt)!)}, ${records(r)} (${statusLabel(r.executionStatus)})`).join('; ')}`}
      >
        <line class="axis" x1={AXIS} y1={TOP} x2={AXIS} y2={TOP + HEIGHT} />
        <line class="axis" x1={AXIS} y1={TOP + HEIGHT} x2={WIDTH - RIGHT} y2={TOP + HEIGHT} />
        <text class="tick" x={AXIS - 6} y={TOP + 4} text-anchor="end">
          {formatCount(max)}
        </text>
        <text class="tick" x={AXIS - 6} y={TOP + HEIGHT} text-anchor="end">
          0
        </text>
        {firstDate && (
          <text class="tick" x={AXIS} y={TOP + HEIGHT + 16} text-anchor="start">
            {formatDate(firstDate)}
          </text>
        )}
        {lastDate && span > 0 && (
          <text class="tick" x={WIDTH - RIGHT} y={TOP + HEIGHT + 16} text-anchor="end">
            {formatDate(lastDate)}
          </text>
        )}
        {timed.length > 1 && <polyline class="trend" points={timed.map((r) => `${xOf(r.startedAt ?? 0)},${yOf(records(r))}`).join(' ')} />}
        {timed.map((r) => {
          const x = xOf(r.startedAt ?? 0);
          const y = yOf(records(r));
          return (
            <g key={r.executionId} class={`run status-${(r.executionStatus ?? 'unknown').toLowerCase()}`} data-execution-id={r.executionId} data-records={records(r)}>
              <title>{`${formatDate(toDate(r.startedAt)!)}: ${formatCount(records(r))} records (${statusLabel(r.executionStatus)})`}</title>
              <line x1={x} y1={TOP + HEIGHT} x2={x} y2={y} />
              <circle cx={x} cy={y} r={4} />
            </g>
          );
        })}
      </svg>
      <figcaption class="muted small">
        {formatCount(total)} records over {timed.length} {timed.length === 1 ? 'run' : 'runs'}, by start time; the dot's colour is the run's status.
      </figcaption>
    </figure>
  );
}

/**
 * The flow an integration workflow created, once it completed: ListIntegrations gives the integration
 * whose WorkflowId is this workflow, and its Uri is the flow's ARN.
 */
export function WorkflowFlowLink({ region, domain, workflowId }: { region: string; domain: string; workflowId: string }) {
  const { value, error } = useRead(
    async (signal) => {
      let token: string | undefined;
      do {
        const out = await aws<ListIntegrations>({ region, method: 'GET', path: uri`/domains/${domain}/integrations`, query: { 'max-results': 100, 'next-token': token }, signal });
        const mine = (out.Items ?? []).find((i) => i.WorkflowId === workflowId);
        if (mine) return flowNameOfArn(mine.Uri) ?? null;
        token = out.NextToken;
      } while (token);
      return null;
    },
    `${region}|${domain}|${workflowId}`,
  );
  if (error) return <span class="muted">Could not list the integrations.</span>;
  if (value === undefined) return <span class="muted">…</span>;
  if (value === null) return <span class="muted">None (the integration was deleted)</span>;
  return (
    <Link to={uri`/flows/${value}`} class="mono">
      {value}
    </Link>
  );
}
