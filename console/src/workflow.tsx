import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { observedDensity, type ProgressBasis, progressText, type StepProgress, type StepProgressInput, stepProgress } from '../../src/domain/step-progress.js';
import { admin, aws, isAbort } from './api.js';
import { DomainHeader, Empty, ErrorNotice, LiveBadge, LoadMore, ProgressBar, StatusBadge, Time, Window } from './components.js';
import { formatCount, isActive, statusLabel, uri } from './format.js';
import { WorkflowFlowLink } from './flows.js';
import { useLive } from './live.js';
import type { Workflow, WorkflowStep, WorkflowSteps } from './wire.js';

/** GetWorkflowSteps' largest page. */
const STEPS_PAGE = 100;

interface StepsState {
  steps: WorkflowStep[];
  nextToken: string | undefined;
  /** How many pages are shown: a refresh reads that many again. */
  pages: number;
}

/** A step as the progress route answers it (the members read here). */
interface ProgressStep {
  stepNo: number;
  fraction?: number;
  basis?: ProgressBasis;
  expectedRecords?: number;
}

/**
 * Each step's progress by step number, from the service's progress route (the share of its window read,
 * or its records against the source's estimate); undefined when the route cannot be read, and the steps
 * shown are then measured by the completed ones' density, as against AWS.
 */
async function readProgress(region: string, domain: string, workflowId: string): Promise<Map<number, ProgressStep> | undefined> {
  try {
    const out = await admin<{ steps?: ProgressStep[] }>(`workflows/${encodeURIComponent(domain)}/${encodeURIComponent(workflowId)}/progress?region=${encodeURIComponent(region)}`);
    return Array.isArray(out.steps) ? new Map(out.steps.map((p) => [p.stepNo, p])) : undefined;
  } catch (err) {
    if (isAbort(err)) throw err;
    return undefined;
  }
}

/** What a step's progress cell draws: the route's share when it told one, else the density rule over the steps shown. */
function stepShares(steps: WorkflowStep[], fromRoute: Map<number, ProgressStep> | undefined): { input: StepProgressInput; progress: StepProgress }[] {
  const inputs = steps.map((s) => ({
    status: s.Status,
    recordsProcessed: s.RecordsProcessed,
    windowStart: Date.parse(String(s.BatchRecordsStartTime ?? '')),
    windowEnd: Date.parse(String(s.BatchRecordsEndTime ?? '')),
  }));
  const density = observedDensity(inputs);
  return inputs.map((input, i) => {
    const told = fromRoute?.get(i + 1);
    if (!fromRoute) return { input, progress: stepProgress(input, density) };
    return { input, progress: told?.fraction === undefined ? {} : { fraction: told.fraction, basis: told.basis, expected: told.expectedRecords } };
  });
}

/** GetWorkflow and GetWorkflowSteps of one workflow, kept current while it runs. */
export function WorkflowPage({ region, domain, workflowId }: { region: string; domain: string; workflowId: string }) {
  const [workflow, setWorkflow] = useState<Workflow>();
  const [workflowError, setWorkflowError] = useState<unknown>();
  const [state, setState] = useState<StepsState>({ steps: [], nextToken: undefined, pages: 0 });
  const [stepsError, setStepsError] = useState<unknown>();
  const [progress, setProgress] = useState<Map<number, ProgressStep>>();
  const [loadingMore, setLoadingMore] = useState(false);
  const stateRef = useRef(state);
  stateRef.current = state;
  const generation = useRef(0);

  const stepsPage = useCallback(
    (token: string | undefined) =>
      aws<WorkflowSteps>({
        region,
        method: 'GET',
        path: uri`/domains/${domain}/workflows/${workflowId}/steps`,
        query: { 'max-results': STEPS_PAGE, 'next-token': token },
      }),
    [region, domain, workflowId],
  );

  /** Re-reads the workflow and as many step pages as are shown; an older answer never overwrites a newer one. */
  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    const pages = Math.max(1, stateRef.current.pages);
    try {
      const w = await aws<Workflow>({ region, method: 'GET', path: uri`/domains/${domain}/workflows/${workflowId}` });
      if (mine !== generation.current) return;
      setWorkflow(w);
      setWorkflowError(undefined);
    } catch (err) {
      if (mine === generation.current && !isAbort(err)) setWorkflowError(err);
      return;
    }
    try {
      const steps: WorkflowStep[] = [];
      let token: string | undefined;
      let read = 0;
      do {
        const out = await stepsPage(token);
        for (const item of out.Items ?? []) if (item.AppflowIntegration) steps.push(item.AppflowIntegration);
        token = out.NextToken;
        read += 1;
      } while (token && read < pages);
      const shares = await readProgress(region, domain, workflowId);
      if (mine !== generation.current) return;
      setState({ steps, nextToken: token, pages: read });
      setProgress(shares);
      setStepsError(undefined);
    } catch (err) {
      if (mine === generation.current && !isAbort(err)) setStepsError(err);
    }
  }, [region, domain, workflowId, stepsPage]);

  useEffect(() => {
    setWorkflow(undefined);
    setState({ steps: [], nextToken: undefined, pages: 0 });
    void refresh();
    return () => {
      generation.current += 1;
    };
  }, [refresh]);

  const loadMore = async () => {
    const { nextToken } = stateRef.current;
    if (!nextToken) return;
    setLoadingMore(true);
    try {
      const out = await stepsPage(nextToken);
      const more = (out.Items ?? []).flatMap((item) => (item.AppflowIntegration ? [item.AppflowIntegration] : []));
      setState((before) => ({ steps: [...before.steps, ...more], nextToken: out.NextToken, pages: before.pages + 1 }));
    } catch (err) {
      setStepsError(err);
    } finally {
      setLoadingMore(false);
    }
  };

  const status = workflow?.Status;
  const shares = stepShares(state.steps, progress);
  const live = useLive(() => void refresh(), { region, domain, workflowId, enabled: !workflowError && (status === undefined || isActive(status)) });
  const metrics = workflow?.Metrics?.AppflowIntegration;
  const attributes = workflow?.Attributes?.AppflowIntegration;

  return (
    <section>
      <DomainHeader domain={domain} current="workflows" />
      <div class="title-row">
        <h2>
          Workflow <span class="mono">{workflowId}</span>
        </h2>
        <LiveBadge mode={live} />
      </div>
      <ErrorNotice error={workflowError} what="read the workflow" />
      {workflow && (
        <div class={`card summary${status === 'FAILED' ? ' card-failed' : ''}`} data-status={status}>
          <ProgressBar
            label="Workflow progress"
            status={status}
            stepsCompleted={metrics?.StepsCompleted}
            totalSteps={metrics?.TotalSteps}
            recordsProcessed={metrics?.RecordsProcessed}
          />
          <dl class="facts">
            <div>
              <dt>Status</dt>
              <dd>
                <StatusBadge status={status} />
              </dd>
            </div>
            <div>
              <dt>Records processed</dt>
              <dd class="num" data-metric="records">
                {formatCount(metrics?.RecordsProcessed)}
              </dd>
            </div>
            <div>
              <dt>Steps</dt>
              <dd data-metric="steps">
                {formatCount(metrics?.StepsCompleted)} of {formatCount(metrics?.TotalSteps)} complete
              </dd>
            </div>
            <div>
              <dt>Source</dt>
              <dd>
                {attributes?.SourceConnectorType ?? '—'} via <span class="mono">{attributes?.ConnectorProfileName ?? '—'}</span>
              </dd>
            </div>
            <div>
              <dt>Started</dt>
              <dd>
                <Time value={workflow.StartDate} />
              </dd>
            </div>
            <div>
              <dt>Updated</dt>
              <dd>
                <Time value={workflow.LastUpdatedAt} />
              </dd>
            </div>
            {status === 'COMPLETE' && (
              <div>
                <dt>Integration flow</dt>
                <dd data-fact="flow">
                  <WorkflowFlowLink region={region} domain={domain} workflowId={workflowId} />
                </dd>
              </div>
            )}
            {attributes?.RoleArn && (
              <div>
                <dt>Role</dt>
                <dd class="mono">{attributes.RoleArn}</dd>
              </div>
            )}
          </dl>
          {workflow.ErrorDescription && (
            <p class="error-text" role="alert">
              {workflow.ErrorDescription}
            </p>
          )}
        </div>
      )}

      {/* A workflow that could not be read has no steps to draw: its error banner says so. */}
      {!workflowError && (
        <>
          <h3>Records processed per step</h3>
          <StepsChart steps={state.steps} />

          <h3>Steps</h3>
          <ErrorNotice error={stepsError} what="read the steps" />
          {!(stepsError && state.steps.length === 0) && (
            <div class="table-wrap">
              <table class="steps">
                <caption class="visually-hidden">Steps of workflow {workflowId}</caption>
                <thead>
                  <tr>
                    <th scope="col" class="num">#</th>
                    <th scope="col">Flow</th>
                    <th scope="col">Window</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">Records</th>
                    <th scope="col">Progress</th>
                    <th scope="col">Message</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {state.steps.map((step, i) => (
                    <tr key={i} data-step={i + 1} data-status={step.Status} class={step.Status === 'FAILED' ? 'row-failed' : undefined}>
                      <th scope="row" class="num">
                        {i + 1}
                      </th>
                      <td class="mono">{step.FlowName}</td>
                      <td>
                        <Window start={step.BatchRecordsStartTime} end={step.BatchRecordsEndTime} />
                      </td>
                      <td>
                        <StatusBadge status={step.Status} />
                      </td>
                      <td class="num" data-metric="records">
                        {formatCount(step.RecordsProcessed)}
                      </td>
                      <td data-metric="progress">
                        <StepProgressCell {...shares[i]} label={`Step ${i + 1} progress`} />
                      </td>
                      <td class="message">{step.ExecutionMessage}</td>
                      <td>
                        <Time value={step.LastUpdatedAt} />
                      </td>
                    </tr>
                  ))}
                  {workflow && state.pages > 0 && state.steps.length === 0 && <Empty columns={8}>This workflow has no steps.</Empty>}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      <LoadMore visible={state.nextToken !== undefined} loading={loadingMore} onClick={() => void loadMore()} what="steps" />
    </section>
  );
}

/**
 * One step's own progress: a bar full only when the step is COMPLETE, and what its share was read from
 * ("42% of the window read", "1200 of about 3000 records"); an unknown share draws no bar.
 */
function StepProgressCell({ input, progress, label }: { input: StepProgressInput; progress: StepProgress; label: string }) {
  if (input.status === 'SPLIT') return <span class="muted">split</span>;
  const text = progressText(input, progress);
  if (progress.fraction === undefined) return <span class="muted">{text}</span>;
  return (
    <div class={`progress step-progress status-${(input.status ?? 'unknown').toLowerCase()}`} data-basis={progress.basis}>
      <div class="progress-track" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.floor(progress.fraction * 100)} aria-valuetext={text}>
        <div class="progress-fill" style={{ width: `${Math.floor(progress.fraction * 100)}%` }} />
      </div>
      <span class="progress-text">{text}</span>
    </div>
  );
}

const GAP = 10;
const AXIS = 44;
const TOP = 18;
const HEIGHT = 140;
const BOTTOM = 22;

/** Records processed per step as SVG bars (no library): the table below carries the same numbers. */
export function StepsChart({ steps }: { steps: WorkflowStep[] }) {
  if (steps.length === 0) return <p class="muted">No steps yet.</p>;
  const max = Math.max(1, ...steps.map((s) => s.RecordsProcessed));
  // Wide bars while there are few steps; long histories (split windows) stay readable by scrolling.
  const BAR = steps.length <= 12 ? 44 : 28;
  const width = AXIS + steps.length * (BAR + GAP) + GAP;
  const height = TOP + HEIGHT + BOTTOM;
  const total = steps.reduce((sum, s) => sum + s.RecordsProcessed, 0);
  return (
    <figure class="chart">
      <div class="chart-scroll">
        <svg
          viewBox={`0 0 ${width} ${height}`}
          width={width}
          height={height}
          role="img"
          aria-label={`Records processed per step: ${steps.map((s, i) => `step ${i + 1}, ${s.RecordsProcessed}`).join('; ')}`}
        >
          <line class="axis" x1={AXIS} y1={TOP} x2={AXIS} y2={TOP + HEIGHT} />
          <line class="axis" x1={AXIS} y1={TOP + HEIGHT} x2={width} y2={TOP + HEIGHT} />
          <text class="tick" x={AXIS - 6} y={TOP + 4} text-anchor="end">
            {formatCount(max)}
          </text>
          <text class="tick" x={AXIS - 6} y={TOP + HEIGHT} text-anchor="end">
            0
          </text>
          {steps.map((s, i) => {
            const h = Math.round((s.RecordsProcessed / max) * HEIGHT);
            const x = AXIS + GAP + i * (BAR + GAP);
            return (
              <g key={i} class={`bar status-${s.Status.toLowerCase()}`} data-step={i + 1} data-records={s.RecordsProcessed}>
                <title>{`Step ${i + 1}: ${formatCount(s.RecordsProcessed)} records (${statusLabel(s.Status)})`}</title>
                <rect x={x} y={TOP + HEIGHT - h} width={BAR} height={Math.max(h, 1)} rx={2} />
                {h > 0 && (
                  <text class="value" x={x + BAR / 2} y={TOP + HEIGHT - h - 4} text-anchor="middle">
                    {formatCount(s.RecordsProcessed)}
                  </text>
                )}
                <text class="label" x={x + BAR / 2} y={TOP + HEIGHT + 15} text-anchor="middle">
                  {i + 1}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      <figcaption class="muted small">
        {formatCount(total)} records over {steps.length} {steps.length === 1 ? 'step' : 'steps'}; the bar's colour is the step's status.
      </figcaption>
    </figure>
  );
}
