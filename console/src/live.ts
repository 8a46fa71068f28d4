import { useEffect, useRef, useState } from 'preact/hooks';
import { ACCOUNT_ID, signingNow } from './api.js';
import { signingCredentials } from './auth.js';
import { presign, queryString } from './sigv4.js';
import type { ChangeEvent } from './wire.js';

/**
 * `live`: the event stream is open; `polling`: it is not (absent, refused, reconnecting), so we poll;
 * `off`: nothing shown can change any more.
 */
export type LiveMode = 'connecting' | 'live' | 'polling' | 'off';

export interface LiveOptions {
  region: string;
  domain?: string;
  workflowId?: string;
  /** How often to re-read while there is no event stream. */
  pollMs?: number;
  /** False pauses everything (e.g. nothing on the page can change any more). */
  enabled?: boolean;
}

/** Events of one burst (a page commits a step and its workflow) become one refresh. */
const COALESCE_MS = 100;
/** Comfortably more than the service needs to read the current state for a new stream. */
const SETTLE_MS = 1500;
/**
 * A signed stream's URL is good for this long. The service checks it when the stream opens, never
 * after, so a stream outlives it; a reconnect after it (the browser retries with the same URL) is
 * refused, and the stream is then opened again with a fresh signature.
 */
const PRESIGN_EXPIRES_S = 300;
/** A refused stream is asked for again this much later (while the page polls), at most this often. */
const REOPEN_MS = 5000;
const MAX_REOPENS = 5;

/**
 * Keeps a page current without reloading. It listens to `GET /_profileflow/events` (Server-Sent
 * Events of workflow and step changes, filtered to this account, region, domain and workflow) and calls
 * `refresh` when something it shows changed; the page then re-reads the AWS API, so what it shows is
 * still what the API says. While the stream is not open (a service without it, a proxy that refuses it,
 * a reconnect) it calls `refresh` every `pollMs` instead, and once more when the stream (re)opens, for
 * whatever happened in between.
 */
export function useLive(refresh: (event?: ChangeEvent) => void, options: LiveOptions): LiveMode {
  const [mode, setMode] = useState<LiveMode>('connecting');
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;
  const { region, domain, workflowId, pollMs = 2000, enabled = true } = options;

  useEffect(() => {
    if (!enabled) return;
    setMode('connecting');
    let poller: number | undefined;
    let pending: number | undefined;
    let settle: number | undefined;
    let closed = false;
    const startPolling = () => {
      setMode('polling');
      if (poller === undefined) poller = window.setInterval(() => refreshRef.current(), pollMs);
    };
    const stopPolling = () => {
      if (poller !== undefined) window.clearInterval(poller);
      poller = undefined;
    };
    if (typeof EventSource === 'undefined') {
      startPolling();
      return stopPolling;
    }

    const credentials = signingCredentials();
    // Signed, the account is the one the service configured for the key (unknown here): no filter on it.
    const query = queryString({ accountId: credentials ? undefined : ACCOUNT_ID, region, domain, workflowId });
    let source: EventSource | undefined;
    let reopen: number | undefined;
    let reopens = 0;
    let last: ChangeEvent | undefined;
    const onEvent = (message: MessageEvent<string>) => {
      try {
        last = JSON.parse(message.data) as ChangeEvent;
      } catch {
        last = undefined;
      }
      if (pending === undefined) {
        pending = window.setTimeout(() => {
          pending = undefined;
          if (!closed) refreshRef.current(last);
        }, COALESCE_MS);
      }
    };
    const open = async () => {
      let url = new URL(`/_profileflow/events?${query}`, location.origin);
      if (credentials) {
        try {
          url = await presign(url, credentials, region, signingNow(), PRESIGN_EXPIRES_S);
        } catch {
          startPolling();
          return;
        }
      }
      if (closed) return;
      const stream = new EventSource(url);
      source = stream;
      stream.addEventListener('workflow', onEvent);
      stream.addEventListener('step', onEvent);
      stream.onopen = () => {
        reopens = 0;
        stopPolling();
        setMode('live');
        refreshRef.current();
        // The service answers the stream's headers before its change feed has read the current state
        // (it then sends a `ready` comment, which EventSource does not expose): a change in that instant
        // would be taken as the starting state, not sent. One more read once it is surely ready covers it.
        if (settle !== undefined) window.clearTimeout(settle);
        settle = window.setTimeout(() => {
          if (!closed) refreshRef.current();
        }, SETTLE_MS);
      };
      // CLOSED: refused (404, not an event stream, or a signature past its time); CONNECTING: the
      // browser retries by itself. A signed stream is signed afresh and asked for again.
      stream.onerror = () => {
        startPolling();
        if (credentials && stream.readyState === EventSource.CLOSED && reopens < MAX_REOPENS && reopen === undefined) {
          reopens += 1;
          reopen = window.setTimeout(() => {
            reopen = undefined;
            if (!closed) void open();
          }, REOPEN_MS);
        }
      };
    };
    void open();

    return () => {
      closed = true;
      source?.close();
      if (reopen !== undefined) window.clearTimeout(reopen);
      stopPolling();
      if (pending !== undefined) window.clearTimeout(pending);
      if (settle !== undefined) window.clearTimeout(settle);
    };
  }, [region, domain, workflowId, pollMs, enabled]);

  return enabled ? mode : 'off';
}
