import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { aws } from './api.js';
import { DomainHeader, Empty, ErrorNotice, LiveBadge, LoadMore, ProgressBar, StatusBadge, Time, usePaged } from './components.js';
import type { ListPageProps } from './domains.js';
import { definitionFlowName, isActive, statusLabel, uri } from './format.js';
import { useLive } from './live.js';
import { Link, navigate } from './router.js';
import { type ChangeEvent, type ListWorkflows, type Status, WORKFLOW_STATUSES, type Workflow, type WorkflowSteps } from './wire.js';

export interface WorkflowsPageProps extends ListPageProps {
  domain: string;
  /** The ListWorkflows Status filter, from the console's `?status=`. */
  status: Status | undefined;
}

/**
 * ListWorkflows (POST, filters in the body), each row completed by GetWorkflow's metrics for its
 * progress bar and by its first step's FlowName for the name of the flow that started it (read once:
 * it does not change); rows follow the event stream (or polling) without a reload.
 */
export function WorkflowsPage({ region, pageSize, domain, status }: WorkflowsPageProps) {
  const workflows = usePaged(async (token, signal) => {
    const out = await aws<ListWorkflows>({
      region,
      method: 'POST',
      path: uri`/domains/${domain}/workflows`,
      query: { 'max-results': pageSize, 'next-token': token },
      body: status ? { Status: status } : {},
      signal,
    });
    return { items: out.Items ?? [], nextToken: out.NextToken };
  }, `${region}|${domain}|${status ?? ''}|${pageSize}`);

  const [details, setDetails] = useState<Record<string, Workflow>>({});
  const [unseen, setUnseen] = useState(0);
  const detailsRef = useRef(details);
  detailsRef.current = details;
  const shown = useRef(new Set<string>());
  shown.current = new Set(workflows.items.map((w) => w.WorkflowId));

  const readOne = useCallback(
    (id: string) =>
      aws<Workflow>({ region, method: 'GET', path: uri`/domains/${domain}/workflows/${id}` }).then(
        (w) => setDetails((before) => ({ ...before, [id]: w })),
        () => undefined,
      ),
    [region, domain],
  );

  const [flowNames, setFlowNames] = useState<Record<string, string>>({});
  const asked = useRef(new Set<string>());
  const readFlowName = useCallback(
    (id: string) =>
      aws<WorkflowSteps>({ region, method: 'GET', path: uri`/domains/${domain}/workflows/${id}/steps`, query: { 'max-results': 1 } }).then(
        (out) => {
          const name = definitionFlowName(out.Items?.[0]?.AppflowIntegration?.FlowName, id);
          if (name) setFlowNames((before) => ({ ...before, [id]: name }));
        },
        () => asked.current.delete(id),
      ),
    [region, domain],
  );

  useEffect(() => {
    setDetails({});
    setUnseen(0);
    setFlowNames({});
    asked.current = new Set();
  }, [region, domain, status]);

  useEffect(() => {
    for (const item of workflows.items) {
      if (!(item.WorkflowId in detailsRef.current)) void readOne(item.WorkflowId);
      if (!asked.current.has(item.WorkflowId)) {
        asked.current.add(item.WorkflowId);
        void readFlowName(item.WorkflowId);
      }
    }
  }, [workflows.items, readOne, readFlowName]);

  const refresh = (event?: ChangeEvent) => {
    if (event) {
      if (shown.current.has(event.workflowId)) void readOne(event.workflowId);
      else if (!status || status === event.status) setUnseen((n) => n + 1);
      return;
    }
    for (const item of workflows.items) {
      const known = detailsRef.current[item.WorkflowId];
      if (isActive(known?.Status ?? item.Status)) void readOne(item.WorkflowId);
    }
  };
  const live = useLive(refresh, { region, domain });

  const setStatus = (value: string) => {
    const query = new URLSearchParams(location.search);
    if (value) query.set('status', value);
    else query.delete('status');
    const text = query.toString();
    navigate(`${uri`/domains/${domain}/workflows`}${text ? `?${text}` : ''}`, { replace: true });
  };

  return (
    <section>
      <DomainHeader domain={domain} current="workflows" />
      <div class="toolbar">
        <label>
          Status{' '}
          <select value={status ?? ''} onChange={(e) => setStatus((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">All statuses</option>
            {WORKFLOW_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <LiveBadge mode={live} />
      </div>
      {unseen > 0 && (
        <div class="notice info" role="status">
          New workflow activity in this domain.{' '}
          <button
            type="button"
            class="link"
            onClick={() => {
              setUnseen(0);
              workflows.reload();
            }}
          >
            Show the latest
          </button>
        </div>
      )}
      <ErrorNotice error={workflows.error} what="list the workflows" />
      {/* Under an error banner with nothing read, an empty table would only repeat it. */}
      {!(workflows.error && workflows.items.length === 0) && (
        <div class="table-wrap">
          <table class="workflows">
            <caption class="visually-hidden">Integration workflows of {domain}</caption>
            <thead>
              <tr>
                <th scope="col">Workflow</th>
                <th scope="col">Status</th>
                <th scope="col" class="wide">Progress</th>
                <th scope="col">Description</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {workflows.items.map((item) => {
                const detail = details[item.WorkflowId];
                const current = detail?.Status ?? item.Status;
                const metrics = detail?.Metrics?.AppflowIntegration;
                const description = current === 'FAILED' && detail?.ErrorDescription ? detail.ErrorDescription : item.StatusDescription;
                return (
                  <tr key={item.WorkflowId} data-workflow-id={item.WorkflowId} data-status={current} class={current === 'FAILED' ? 'row-failed' : undefined}>
                    <th scope="row">
                      <Link class="mono" to={uri`/domains/${domain}/workflows/${item.WorkflowId}`}>
                        {item.WorkflowId}
                      </Link>
                      {flowNames[item.WorkflowId] && (
                        <div class="flow-name small" data-flow-name={flowNames[item.WorkflowId]} title="FlowName of the flow definition">
                          {flowNames[item.WorkflowId]}
                        </div>
                      )}
                      <div class="muted small">{detail?.Attributes?.AppflowIntegration?.ConnectorProfileName ?? item.WorkflowType}</div>
                    </th>
                    <td>
                      <StatusBadge status={current} />
                    </td>
                    <td>
                      <ProgressBar
                        label={`Progress of workflow ${item.WorkflowId}`}
                        status={current}
                        stepsCompleted={metrics?.StepsCompleted}
                        totalSteps={metrics?.TotalSteps}
                        recordsProcessed={metrics?.RecordsProcessed}
                      />
                    </td>
                    <td class="message">{description}</td>
                    <td>
                      <Time value={item.CreatedAt} />
                    </td>
                    <td>
                      <Time value={detail?.LastUpdatedAt ?? item.LastUpdatedAt} />
                    </td>
                  </tr>
                );
              })}
              {!workflows.loading && !workflows.error && workflows.items.length === 0 && (
                <Empty columns={6}>{status ? `No ${statusLabel(status).toLowerCase()} workflows in ${domain}.` : `No workflows in ${domain} yet.`}</Empty>
              )}
            </tbody>
          </table>
        </div>
      )}
      {workflows.loading && workflows.items.length === 0 && <p class="muted">Loading…</p>}
      <LoadMore visible={workflows.hasMore} loading={workflows.loading} onClick={workflows.loadMore} what="workflows" />
    </section>
  );
}
