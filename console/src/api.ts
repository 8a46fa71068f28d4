/**
 * The console reads through the same API as every other client: the AWS restJson1 routes (method and
 * URI as the model has them) and the operator's routes under /_profileflow/, on this origin.
 *
 * Under `--auth sigv4` every request is signed in the browser (./sigv4.ts, WebCrypto) with the keys
 * the user signed in with (./auth.ts); the region of the credential scope is the console's Region.
 * Under `--auth off` nothing is signed: requests carry only the *shape* of a SigV4 Authorization
 * header, which is all that mode reads — the access key id `console` (not 12 digits) selects account
 * 000000000000, and the credential scope names the region the console is looking at.
 */
import { SIGNATURE_ERRORS, setAuthMode, signingCredentials } from './auth.js';
import { type Credentials, queryString, SERVICE, type SigningService, signHeaders } from './sigv4.js';

export const ACCOUNT_ID = '000000000000';
export const DEFAULT_REGION = 'us-east-1';
const REGION_KEY = 'profileflow.console.region';
const REGION_PATTERN = /^[a-z0-9-]{1,32}$/;

/** Regions where Amazon Connect Customer Profiles runs; any other name works here as well. */
export const KNOWN_REGIONS = [
  'us-east-1',
  'us-west-2',
  'ca-central-1',
  'eu-west-2',
  'eu-central-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'af-south-1',
];

export function isRegion(value: string): boolean {
  return REGION_PATTERN.test(value);
}

export function storedRegion(): string {
  try {
    const stored = localStorage.getItem(REGION_KEY);
    if (stored && isRegion(stored)) return stored;
  } catch {
    // storage may be disabled: the default serves
  }
  return DEFAULT_REGION;
}

export function storeRegion(region: string): void {
  try {
    localStorage.setItem(REGION_KEY, region);
  } catch {
    // not remembered, still used
  }
}

/** An error answer of the service, in the AWS envelope (X-Amzn-ErrorType and {"Message"}). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function authorizationFor(region: string, service: SigningService): { authorization: string; 'x-amz-date': string } {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const scope = `console/${stamp.slice(0, 8)}/${region}/${service}/aws4_request`;
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    'x-amz-date': stamp,
  };
}

export interface AwsRequest {
  region: string;
  method: 'GET' | 'POST';
  /** The URI with its labels already filled in (see `path`). */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: Record<string, unknown>;
  signal?: AbortSignal;
  /** Sign with these keys instead of the signed-in ones (trying keys before keeping them). */
  credentials?: Credentials;
  /** Whose API: Customer Profiles (the default) or the AppFlow slice on the same origin. */
  service?: SigningService;
}

/**
 * Server time minus browser time, learnt from a refused signature's `Date` answer, so that a browser
 * whose clock is more than 15 minutes off still signs inside the window (as the AWS SDKs correct skew).
 */
let clockOffsetMs = 0;

/** Wall-clock milliseconds as the service counts them, for every signature (the event stream's too). */
export function signingNow(): number {
  return Date.now() + clockOffsetMs;
}

const SKEW = /^Signature (expired|not yet current)/;

/**
 * One fetch, signed when there are keys. An unsigned request refused for want of a signature means
 * the service runs `--auth sigv4`: the console then asks to sign in. A signed one refused for the time
 * in it is sent once more with the clock corrected.
 */
async function send(
  method: string,
  url: URL,
  region: string,
  init: { body?: string; signal?: AbortSignal; json?: boolean; aws?: boolean; service?: SigningService },
  keys?: Credentials,
): Promise<Response> {
  const service = init.service ?? SERVICE;
  const credentials = keys ?? signingCredentials();
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.json) headers['content-type'] = 'application/json';
    const signed = credentials
      ? await signHeaders({ method, url, headers: init.json ? { 'content-type': 'application/json' } : {}, body: init.body }, credentials, region, signingNow(), service)
      : init.aws
        ? authorizationFor(region, service)
        : {};
    const response = await fetch(url, { method, headers: { ...headers, ...signed }, body: init.body, signal: init.signal });
    if (response.status !== 403) return response;
    const code = response.headers.get('x-amzn-errortype') ?? '';
    if (!credentials && SIGNATURE_ERRORS.has(code)) setAuthMode('sigv4');
    if (!credentials || attempt > 0 || code !== 'InvalidSignatureException') return response;
    const serverTime = Date.parse(response.headers.get('date') ?? '');
    let message = '';
    try {
      const envelope = JSON.parse(await response.clone().text()) as { Message?: unknown; message?: unknown };
      message = String(envelope.Message ?? envelope.message ?? '');
    } catch {
      // not the AWS envelope: not a skew answer either
    }
    if (!SKEW.test(message) || Number.isNaN(serverTime)) return response;
    clockOffsetMs = serverTime - Date.now();
  }
}

/**
 * At most this many AWS calls at once: a page completes every row with its own Get call, and a service
 * with throttling (`--throttle-rate`, on by default off loopback) holds a small burst per operation.
 */
const MAX_IN_FLIGHT = 4;
/** A ThrottlingException is retried after 0.5 s, 1 s, 2 s (plus jitter), as the AWS SDKs do. */
const THROTTLE_RETRIES = 3;

let inFlight = 0;
const waiting: (() => void)[] = [];

async function slot<T>(run: () => Promise<T>): Promise<T> {
  if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
  inFlight += 1;
  try {
    return await run();
  } finally {
    inFlight -= 1;
    waiting.shift()?.();
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = window.setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      window.clearTimeout(timer);
      reject(new DOMException('The request was aborted.', 'AbortError'));
    });
  });
}

/** A restJson1 call; answers the parsed JSON output, or throws an ApiError. */
export async function aws<T>(request: AwsRequest): Promise<T> {
  const url = new URL(request.path, location.origin);
  // Built strictly encoded, so the query the browser sends is the one signed.
  url.search = queryString(request.query ?? {});
  const body = request.body ? JSON.stringify(request.body) : undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      return await slot(async () => {
        const response = await send(request.method, url, request.region, { body, signal: request.signal, json: body !== undefined, aws: true, service: request.service }, request.credentials);
        return readAnswer<T>(response);
      });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 429 && attempt < THROTTLE_RETRIES)) throw err;
      await pause(500 * 2 ** attempt * (1 + Math.random() / 2), request.signal);
    }
  }
}

/** A GET of an operator route under /_profileflow/ (signed in the console's region when signing). */
export async function admin<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await send('GET', new URL(`/_profileflow/${path}`, location.origin), storedRegion(), { signal });
  return readAnswer<T>(response);
}

/** What the health route says of the service; `auth` is there only when signatures are required. */
export async function health(signal?: AbortSignal): Promise<{ auth?: string }> {
  const response = await fetch('/_profileflow/health', { headers: { accept: 'application/json' }, signal });
  return readAnswer<{ auth?: string }>(response);
}

async function readAnswer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const code = response.headers.get('x-amzn-errortype') ?? `HTTP ${response.status}`;
    // Customer Profiles' error shapes spell the member `Message`, AppFlow's `message`.
    const envelope = parsed && typeof parsed === 'object' ? (parsed as { Message?: unknown; message?: unknown }) : {};
    const said = envelope.Message ?? envelope.message;
    const message = typeof said === 'string' ? said : `The service answered ${response.status} ${response.statusText}.`;
    throw new ApiError(response.status, code, message);
  }
  if (parsed === undefined) throw new ApiError(response.status, 'InvalidResponse', 'The service answered something that is not JSON.');
  return parsed as T;
}

/** Whether an error is the abort of a request the console no longer wants. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
