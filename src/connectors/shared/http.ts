/**
 * What the HTTP connectors (ServiceNow, Marketo, Zendesk; shareable by Salesforce and others) have in
 * common: a fetch with a timeout that also honours the read's abort signal, the classification of HTTP
 * failures into SourceError kinds, Retry-After parsing, secrets read from settings or environment
 * variables, and an OAuth token cache. Retrying is the engine's job (back-off as data); nothing here
 * retries on its own.
 */
import { lookup as lookupCallback, type LookupAddress } from 'node:dns';
import { Agent } from 'undici';
import type { LookupFunction } from 'node:net';
import { addressProblem, type ConnectorPolicy, DEFAULT_CONNECTOR_POLICY, hostAllowed, normaliseHost, urlProblem } from '../policy.js';
import { type Checked, invalid, valid } from '../../domain/problem.js';
import { quoted, type SettingRule } from './settings.js';
import { SourceError } from '../types.js';

export const DEFAULT_TIMEOUT_MS = 60_000;

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * What `timeoutMs` bounds: the whole answer, body included ('response', the default), or only the
   * wait for its status and headers ('headers'), for a body read at the pace of its consumer through
   * `streamBody`, which bounds each chunk instead.
   */
  timeoutCovers?: 'response' | 'headers';
  /** How a network failure is worded, given its cause (default: "<what> failed: <cause>."). */
  unreachable?: (cause: string) => string;
  /** The operator's policy the request stays within; DEFAULT_CONNECTOR_POLICY when not given. */
  policy?: ConnectorPolicy;
}

/**
 * Refuses, as a permanent SourceError naming the host and the rule, a URL the operator's policy does not
 * allow by its text: a host outside allowHosts, or an IP literal in a private range. The addresses a name
 * resolves to are checked where the connection is made (the dispatcher's lookup, below), so a DNS answer
 * that changes between a check and the connection (rebinding) cannot slip through.
 */
export function checkDestination(what: string, url: string, policy: ConnectorPolicy = DEFAULT_CONNECTOR_POLICY): void {
  const problem = urlProblem(url, policy);
  if (problem) throw new SourceError('permanent', `${what} is refused: ${problem}.`);
}

/**
 * One connection pool per policy, whose sockets resolve names through policyLookup: fetch connects only
 * to the addresses that lookup checked. Node's fetch takes an undici dispatcher of the same major
 * version as the one it bundles.
 */
const dispatchers = new WeakMap<ConnectorPolicy, Agent>();
function dispatcherFor(policy: ConnectorPolicy): Agent {
  let agent = dispatchers.get(policy);
  if (!agent) {
    agent = new Agent({ connect: { lookup: policyLookup(policy) } });
    dispatchers.set(policy, agent);
  }
  return agent;
}

/** The error a policy lookup fails a connection with; `code` tells it from network failures. */
export class PolicyRefusal extends Error {
  readonly code = 'EPROFILEFLOWPOLICY';
}

/**
 * A `lookup` for sockets (http.Agent, net.connect) that refuses a host outside allowHosts and, unless
 * private addresses are allowed, a name that resolves to any private address. Unlike checkDestination
 * the check is on the very addresses the socket then connects to. IP literals never reach a lookup:
 * callers check those with urlProblem.
 */
export function policyLookup(policy: ConnectorPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const host = normaliseHost(hostname);
    if (!hostAllowed(host, policy.allowHosts)) {
      callback(new PolicyRefusal(`the host '${host}' is not among the hosts the operator's policy allows (allowHosts)`), '', 4);
      return;
    }
    lookupCallback(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) {
        callback(err, '', 4);
        return;
      }
      for (const { address } of addresses) {
        const refused = addressProblem(host, address, policy);
        if (refused) {
          callback(new PolicyRefusal(refused), '', 4);
          return;
        }
      }
      if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * fetch() bounded by `timeoutMs` and by the read's signal. A timeout or a network failure is a transient
 * SourceError naming `what`; the read's own abort rethrows the abort reason, so the engine sees its
 * cancellation rather than a source failure. The URL is not put in messages: query strings may carry
 * client secrets (Marketo's identity endpoint does).
 */
export async function httpFetch(what: string, url: string, options: HttpOptions = {}): Promise<Response> {
  options.signal?.throwIfAborted();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // A timeout that covers the headers only must be cleared once they arrived, so it is a timer of our
  // own; one that covers the whole answer lives as long as the body may be read.
  const headersOnly = options.timeoutCovers === 'headers';
  const timer = headersOnly ? new AbortController() : undefined;
  const timeout = timer ? timer.signal : AbortSignal.timeout(timeoutMs);
  const clock = timer ? setTimeout(() => timer.abort(new DOMException(`${what} timed out.`, 'TimeoutError')), timeoutMs) : undefined;
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const policy = options.policy ?? DEFAULT_CONNECTOR_POLICY;
  try {
    checkDestination(what, url, policy);
    // Redirects are not followed: the request carries credentials, and a source API that redirects is
    // misconfigured (wrong base URL or instance), which no retry mends. A target the policy refuses is
    // said so, since configuring it would not help either.
    const init = { method: options.method ?? 'GET', headers: options.headers, body: options.body, signal, redirect: 'manual', dispatcher: dispatcherFor(policy) };
    const response = await fetch(url, init as RequestInit);
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      let target: string | undefined;
      try {
        target = location ? new URL(location, url).href : undefined;
      } catch {
        target = undefined;
      }
      const refused = target === undefined ? undefined : urlProblem(target, policy);
      if (refused) throw new SourceError('permanent', `${what} answered with a redirect (HTTP ${response.status}) that is refused: ${refused}.`);
      throw new SourceError('permanent', `${what} answered with a redirect (HTTP ${response.status}); configure the address it redirects to.`);
    }
    return response;
  } catch (err) {
    if (err instanceof SourceError) throw err;
    if (options.signal?.aborted) throw options.signal.reason;
    if (timeout.aborted) throw new SourceError('transient', `${what} did not answer within ${timeoutMs} ms.`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause instanceof PolicyRefusal) throw new SourceError('permanent', `${what} is refused: ${cause.message}.`);
    const detail = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new SourceError('transient', options.unreachable ? options.unreachable(detail) : `${what} failed: ${detail}.`);
  } finally {
    clearTimeout(clock);
  }
}

/**
 * A body's chunks as they arrive, for a body read at its consumer's pace (fetched with timeoutCovers
 * 'headers'): each chunk must come within `idleMs`, so a stalled download fails transiently while a slow
 * consumer is never timed out. A body that breaks off is transient; the read's abort rethrows its reason.
 * Ending the iteration early cancels the body.
 */
export async function* streamBody(what: string, response: Response, idleMs: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let done = false;
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SourceError('transient', `${what}: the answer stalled for ${idleMs} ms.`)), idleMs);
      });
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await Promise.race([reader.read(), stalled]);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (err instanceof SourceError) throw err;
        throw new SourceError('transient', `${what}: the answer broke off: ${(err as Error).message}.`);
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) {
        done = true;
        return;
      }
      yield chunk.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
  }
}

/** Reads a body as text within the same signal rules (a body can stall after the headers arrived). */
export async function readText(what: string, response: Response, signal?: AbortSignal): Promise<string> {
  try {
    return await response.text();
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw new SourceError('transient', `${what}: the answer broke off: ${(err as Error).message}.`);
  }
}

/**
 * Reads a JSON body; a body that is not JSON is a transient failure (proxies answer HTML pages). The
 * body is not quoted: whatever a source answers must not reach a step's messages.
 */
export async function readJson(what: string, response: Response, signal?: AbortSignal): Promise<unknown> {
  const text = await readText(what, response, signal);
  try {
    return JSON.parse(text);
  } catch {
    throw new SourceError('transient', `${what} answered ${response.status} with a body that is not JSON.`);
  }
}

/**
 * Retry-After as the number of seconds to wait: either delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable.
 */
export function retryAfterSeconds(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** A response's Retry-After as SourceError options (`retryAfterMs`), empty when it has none. */
export function retryAfterOption(headers: Headers): { retryAfterMs?: number } {
  const after = retryAfterSeconds(headers.get('retry-after'));
  return after === undefined ? {} : { retryAfterMs: after * 1000 };
}

/**
 * The SourceError for an HTTP failure status: 429, 408 and 5xx pass (transient, with the Retry-After
 * the source asked for, in the message and as `retryAfterMs`), 401 and 403 need an operator
 * (permanent), any other status is permanent too. `detail` is the source's own error code (see
 * errorCode), never its message or body.
 */
export function httpStatusError(what: string, response: Response, detail: string): SourceError {
  const status = response.status;
  const after = retryAfterSeconds(response.headers.get('retry-after'));
  const wait = after === undefined ? '' : ` (Retry-After: ${after} seconds)`;
  const retry = after === undefined ? {} : { retryAfterMs: after * 1000 };
  const tail = detail ? ` (${detail}).` : '.';
  if (status === 429) return new SourceError('transient', `${what} was rate limited with HTTP 429${wait}${tail}`, retry);
  if (status === 408 || status >= 500) return new SourceError('transient', `${what} failed with HTTP ${status}${wait}${tail}`, retry);
  if (status === 401 || status === 403) {
    return new SourceError('permanent', `${what} was refused with HTTP ${status}; check the connector profile's credentials and permissions${tail}`);
  }
  return new SourceError('permanent', `${what} failed with HTTP ${status}${tail}`);
}

const ERROR_CODE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/**
 * `value` when it looks like a source's error code (`INVALID_SESSION_ID`, `invalid_grant`,
 * `RecordNotFound`): one word of at most 64 characters. Anything else a source answers (messages,
 * descriptions, pages) stays out of step messages, which the tenant reads: a source, or whoever answers
 * in its place, could otherwise put there what it likes, secrets of the host included.
 */
export function errorCode(value: unknown): string | undefined {
  return typeof value === 'string' && ERROR_CODE.test(value) ? value : undefined;
}

/** `Basic base64(user:password)`. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** A base URL without its trailing slashes. */
export function trimBase(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * Setting rule of an http(s) base URL: no query or fragment (paths are appended to it), and no user
 * name or password (credentials have settings of their own, which are masked; a URL is shown as given).
 */
export const URL_RULE = {
  type: 'custom' as const,
  parse: (value: unknown, name: string): Checked<string> => {
    if (typeof value !== 'string' || value === '') return invalid(`Setting '${name}' must be an http or https URL.`);
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      return invalid(`Setting '${name}' must be an http or https URL, got ${quoted(value)}.`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return invalid(`Setting '${name}' must be an http or https URL, got the scheme ${quoted(u.protocol)}.`);
    if (u.username || u.password) return invalid(`Setting '${name}' must not carry a user name or password.`);
    if (u.search || u.hash) return invalid(`Setting '${name}' must be a base URL without query or fragment.`);
    return valid(value);
  },
};

/** A secret's two settings: the value itself, or the name of the environment variable holding it. */
export type SecretSettings<N extends string> = { [K in N | `${N}Env`]?: string };

/**
 * The rules of a secret that may be given inline (`<name>`, masked in every answer because its name looks
 * secret) or as the name of an environment variable (`<name>Env`), which keeps the secret out of the store.
 */
export function secretRule(describe: string) {
  return { type: 'string', describe } as const satisfies SettingRule;
}

export function secretEnvRule(describe: string) {
  return { type: 'string', describe: `the environment variable that holds ${describe}` } as const satisfies SettingRule;
}

/** Problems when both or (if required) neither of a secret's two forms are given. */
export function checkSecretPair(settings: Record<string, unknown>, name: string, required: boolean): string[] {
  const inline = settings[name] !== undefined && settings[name] !== null;
  const env = settings[`${name}Env`] !== undefined && settings[`${name}Env`] !== null;
  if (inline && env) return [`Settings '${name}' and '${name}Env' exclude each other; give one.`];
  if (required && !inline && !env) return [`Setting '${name}' or '${name}Env' is required.`];
  return [];
}

/**
 * A secret's value: inline, or read from the environment variable named by `<name>Env`. A variable that
 * is unset is a permanent error naming the variable (never its value). `path` prefixes the setting's
 * name in that message when the secret sits in a nested setting ('auth.' for Salesforce's).
 */
export function resolveSecret<N extends string>(profileName: string, settings: SecretSettings<N>, name: N, path = ''): string | undefined {
  const inline = settings[name];
  if (inline !== undefined && inline !== '') return inline;
  const env = settings[`${name}Env`];
  if (env === undefined || env === '') return undefined;
  const value = process.env[env];
  if (value === undefined || value === '') {
    throw new SourceError(
      'permanent',
      `The environment variable ${env} named by setting '${path}${name}Env' of connector profile '${profileName}' is not set.`,
    );
  }
  return value;
}

export interface CachedToken {
  token: string;
  /** Epoch ms after which the token is not used any more. */
  expiresAt: number;
  refreshToken?: string;
}

/**
 * OAuth access tokens per credential set (the key), shared by every read of a connector instance.
 * A token is used until `skewMs` before its expiry, then fetched again; concurrent reads that find it
 * missing share one token request. `invalidate` drops a token the source refused (Marketo 601/602,
 * an HTTP 401 on a bearer token) so that the next `get` fetches a fresh one.
 */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly skewMs = 60_000,
  ) {}

  async get(key: string, fetchToken: (previous: CachedToken | undefined) => Promise<CachedToken>): Promise<string> {
    const cached = this.tokens.get(key);
    if (cached && this.now() < cached.expiresAt - this.skewMs) return cached.token;
    let request = this.pending.get(key);
    if (!request) {
      request = fetchToken(cached).finally(() => this.pending.delete(key));
      this.pending.set(key, request);
    }
    const fresh = await request;
    this.tokens.set(key, fresh);
    return fresh.token;
  }

  /** Forgets the token, keeping its refresh token (if any) for the next fetch. */
  invalidate(key: string, token?: string): void {
    const cached = this.tokens.get(key);
    if (!cached || (token !== undefined && cached.token !== token)) return;
    this.tokens.set(key, { ...cached, expiresAt: 0 });
  }
}

/** A pause that ends early, with the abort reason, when the read is aborted. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
