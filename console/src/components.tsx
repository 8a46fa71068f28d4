import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, isAbort } from './api.js';
import { formatCount, formatDate, formatDateParts, plural, statusLabel, toDate, uri } from './format.js';
import type { LiveMode } from './live.js';
import { Link } from './router.js';

export function Time({ value }: { value: number | string | undefined }) {
  const date = toDate(value);
  if (!date) return <span class="muted">—</span>;
  const [day, hour] = formatDateParts(date);
  // Two unbreakable parts: a table column may wrap between the date and the time, never inside them.
  return (
    <time dateTime={date.toISOString()} title={formatDate(date)}>
      <span class="date">{day}</span> <span class="hour">{hour}</span>
    </time>
  );
}

export function StatusBadge({ status }: { status: string | undefined }) {
  return (
    <span class={`badge status-${(status ?? 'unknown').toLowerCase()}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}

export interface ProgressProps {
  stepsCompleted: number | undefined;
  totalSteps: number | undefined;
  recordsProcessed: number | undefined;
  status?: string;
  /** The accessible name: which workflow this bar belongs to. */
  label: string;
}

/** Steps completed of the total (GetWorkflow's Metrics.AppflowIntegration), with the records so far. */
export function ProgressBar({ stepsCompleted, totalSteps, recordsProcessed, status, label }: ProgressProps) {
  if (totalSteps === undefined || stepsCompleted === undefined) {
    return <span class="muted">…</span>;
  }
  const fraction = totalSteps > 0 ? Math.min(1, stepsCompleted / totalSteps) : 0;
  const percent = Math.round(fraction * 100);
  const text = `${stepsCompleted} of ${plural(totalSteps, 'step')} · ${plural(recordsProcessed ?? 0, 'record')}`;
  return (
    <div class={`progress status-${(status ?? 'unknown').toLowerCase()}`}>
      <div
        class="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={totalSteps}
        aria-valuenow={stepsCompleted}
        aria-valuetext={text}
      >
        <div class="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <span class="progress-text">{text}</span>
    </div>
  );
}

export function ErrorNotice({ error, what }: { error: unknown; what: string }) {
  if (!error) return null;
  const detail =
    error instanceof ApiError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
  return (
    <div class="notice error" role="alert">
      <strong>Could not {what}.</strong> {detail}
    </div>
  );
}

export function LiveBadge({ mode }: { mode: LiveMode }) {
  if (mode === 'off') return null;
  const text = mode === 'live' ? 'Live' : mode === 'polling' ? 'Refreshing every 2 s' : 'Connecting…';
  const title =
    mode === 'live'
      ? 'Updates arrive through the event stream (/_profileflow/events).'
      : mode === 'polling'
        ? 'The event stream is not available; the page re-reads the API instead.'
        : 'Opening the event stream.';
  return (
    <span class={`live live-${mode}`} data-live={mode} title={title} role="status">
      {text}
    </span>
  );
}

export function LoadMore({ visible, loading, onClick, what }: { visible: boolean; loading: boolean; onClick: () => void; what: string }) {
  if (!visible) return null;
  return (
    <div class="load-more">
      <button type="button" onClick={onClick} disabled={loading}>
        {loading ? 'Loading…' : `Load more ${what}`}
      </button>
    </div>
  );
}

export function Empty({ columns, children }: { columns: number; children: ComponentChildren }) {
  return (
    <tr>
      <td colSpan={columns} class="empty">
        {children}
      </td>
    </tr>
  );
}

export function Count({ value }: { value: number | undefined }) {
  return <span class="num">{formatCount(value)}</span>;
}

/** The domain's heading and its sections. */
export function DomainHeader({ domain, current }: { domain: string; current: 'workflows' | 'object-types' | 'profiles' }) {
  const tabs = [
    { id: 'workflows', label: 'Workflows', to: uri`/domains/${domain}/workflows` },
    { id: 'object-types', label: 'Object types', to: uri`/domains/${domain}/object-types` },
    { id: 'profiles', label: 'Profiles', to: uri`/domains/${domain}/profiles` },
  ] as const;
  return (
    <>
      <nav class="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/">Domains</Link> <span aria-hidden="true">/</span> <span>{domain}</span>
      </nav>
      <h1>{domain}</h1>
      <nav class="tabs" aria-label="Domain sections">
        {tabs.map((t) => (
          <Link key={t.id} to={t.to} class={t.id === current ? 'tab current' : 'tab'} aria-current={t.id === current ? 'page' : undefined}>
            {t.label}
          </Link>
        ))}
      </nav>
    </>
  );
}

export interface Page<T> {
  items: T[];
  nextToken: string | undefined;
}

export interface Paged<T> {
  items: T[];
  loading: boolean;
  error: unknown;
  hasMore: boolean;
  loadMore: () => void;
  /** Reads the first page again, replacing what is shown once it arrives. */
  reload: () => void;
}

/**
 * A list read page by page through NextToken: the first page when `key` changes, the next one on
 * "Load more". A request the page no longer wants (the key changed, the page closed) is aborted.
 */
export function usePaged<T>(fetchPage: (token: string | undefined, signal: AbortSignal) => Promise<Page<T>>, key: string): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [nextToken, setNextToken] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const controller = useRef<AbortController | undefined>(undefined);

  const load = useCallback((token: string | undefined) => {
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setLoading(true);
    setError(undefined);
    fetchRef.current(token, abort.signal).then(
      (page) => {
        if (abort.signal.aborted) return;
        setItems((before) => (token === undefined ? page.items : [...before, ...page.items]));
        setNextToken(page.nextToken);
        setLoading(false);
      },
      (err: unknown) => {
        if (abort.signal.aborted || isAbort(err)) return;
        setError(err);
        setLoading(false);
      },
    );
  }, []);

  useEffect(() => {
    setItems([]);
    setNextToken(undefined);
    load(undefined);
    return () => controller.current?.abort();
  }, [key, load]);

  return {
    items,
    loading,
    error,
    hasMore: nextToken !== undefined,
    loadMore: () => load(nextToken),
    reload: () => load(undefined),
  };
}

/** One read, again whenever `key` changes; `reload` re-reads without clearing what is shown. */
export function useRead<T>(read: (signal: AbortSignal) => Promise<T>, key: string): { value: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const readRef = useRef(read);
  readRef.current = read;
  const controller = useRef<AbortController | undefined>(undefined);

  const run = useCallback(() => {
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setLoading(true);
    readRef.current(abort.signal).then(
      (v) => {
        if (abort.signal.aborted) return;
        setValue(v);
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (abort.signal.aborted || isAbort(err)) return;
        setError(err);
        setLoading(false);
      },
    );
  }, []);

  useEffect(() => {
    setValue(undefined);
    run();
    return () => controller.current?.abort();
  }, [key, run]);

  return { value, error, loading, reload: run };
}

/** A batch or pull window [start, end) in UTC; ISO-8601 text or epoch seconds. */
export function Window({ start, end }: { start: string | number | undefined; end: string | number | undefined }) {
  const from = toDate(start);
  const to = toDate(end);
  if (!from || !to) return <span>{`${start ?? '…'} – ${end ?? '…'}`}</span>;
  // Windows are whole UTC instants [start, end): shown in UTC, as the batches were given.
  const show = (d: Date) => `${d.toISOString().replace('T', ' ').replace(/\.000Z$/, '').replace(/:00$/, '')} UTC`;
  return (
    <span class="window">
      <time dateTime={from.toISOString()}>{show(from)}</time> <span class="to">→ <time dateTime={to.toISOString()}>{show(to)}</time></span>
    </span>
  );
}
