import { hostname, networkInterfaces } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccessDeniedException, BadRequestException } from '../api/errors.js';
import { awsRoute, pathOf } from './request-context.js';
import type { RequestStep } from './request-hooks.js';

/** What the service answers to, as seen from a browser. */
export interface BrowserPolicy {
  /**
   * Host names (no port) requests may name in `Host`, lower case; `*` accepts any. Loopback names are
   * always accepted. Default: loopback only (the CLI adds the address it listens on).
   */
  allowedHosts?: string[];
  /** Origins (`https://app.example.com`) whose pages may call the AWS routes through CORS; default none. */
  corsOrigins?: string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What a browser SDK reads from an answer besides the body (the request id, the error type). */
const EXPOSED_HEADERS = 'x-amzn-requestid, x-amzn-errortype, x-amz-request-id, date';
const PREFLIGHT_MAX_AGE_S = 600;
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/**
 * The names a service listening on `host` answers to: the host itself, or for a wildcard address
 * (0.0.0.0, ::) this machine's name and every address of its interfaces, where a client may reach it.
 */
export function hostNamesFor(host: string): string[] {
  const h = stripBrackets(host.toLowerCase());
  if (h !== '0.0.0.0' && h !== '::' && h !== '') return [h];
  const names = [hostname().toLowerCase()];
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.push(i.address.toLowerCase());
  return names;
}

/**
 * Guards against the browser threats of a service that trusts its network position (auth off on
 * loopback): DNS rebinding (a page whose name resolves to 127.0.0.1 reads our answers: refused by the
 * `Host` check) and cross-site requests (a page POSTs to /_profileflow/reset: refused by the `Origin` /
 * `Sec-Fetch-Site` check on every state-changing request, and by requiring JSON on the admin routes,
 * which a form cannot send). CORS is off unless origins are configured, and then only for the AWS routes
 * (their preflights: `registerCorsPreflight`). A step of `onRequest`, after the route is known.
 */
export function browserGuard(policy: BrowserPolicy): RequestStep {
  const anyHost = policy.allowedHosts?.includes('*') ?? false;
  const hosts = new Set([...LOOPBACK_NAMES, ...(policy.allowedHosts ?? []).map((h) => stripBrackets(h.toLowerCase()))]);
  const corsOrigins = corsOriginsOf(policy);

  return (request, reply) => {
    const host = request.headers.host;
    // A browser always sends Host; a request without one (HTTP/1.0 tools) is no rebinding page.
    if (host !== undefined && !anyHost && !hosts.has(hostNameOf(host)) && !isLoopbackAddress(hostNameOf(host))) {
      throw new BadRequestException(
        `The Host header '${host.slice(0, 64)}' does not name this service; the operator can add a name with --allowed-hosts.`,
      );
    }
    const origin = headerOf(request, 'origin');
    const awsRoute = request.ctx.route.kind === 'aws' || request.ctx.route.kind === 'aws-unmatched';
    const corsAllowed = origin !== undefined && awsRoute && corsOrigins.has(origin.toLowerCase());
    if (corsAllowed) reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', EXPOSED_HEADERS).header('vary', 'Origin');
    if (SAFE_METHODS.has(request.method) || corsAllowed) return;
    if (origin !== undefined && !sameOrigin(origin, host)) {
      throw new AccessDeniedException(`Requests from the origin '${origin.slice(0, 64)}' are refused: only this service's own pages${corsOrigins.size ? ' and the configured CORS origins' : ''} may change state.`);
    }
    const site = headerOf(request, 'sec-fetch-site');
    if (origin === undefined && (site === 'cross-site' || site === 'same-site')) {
      throw new AccessDeniedException('Cross-site requests that change state are refused.');
    }
  };
}

/**
 * Preflights: answered for an allowed origin asking for an operation of either AWS service the endpoint
 * serves (Customer Profiles, the AppFlow slice); anything else is refused.
 */
export function registerCorsPreflight(app: FastifyInstance, policy: BrowserPolicy): void {
  const corsOrigins = corsOriginsOf(policy);
  if (corsOrigins.size === 0) return;
  app.options('/*', { config: {} }, async (request, reply) => preflight(request, reply, corsOrigins));
}

function corsOriginsOf(policy: BrowserPolicy): Set<string> {
  return new Set((policy.corsOrigins ?? []).map((o) => o.toLowerCase()));
}

function preflight(request: FastifyRequest, reply: FastifyReply, corsOrigins: Set<string>): FastifyReply {
  const origin = headerOf(request, 'origin');
  const method = headerOf(request, 'access-control-request-method');
  const headers = headerOf(request, 'access-control-request-headers');
  // A preflight carries no signature: routed by path, as an unsigned request is, across both services.
  const isAws = method !== undefined && awsRoute(method, pathOf(request.raw.url ?? '/'), undefined).kind === 'aws';
  if (origin === undefined || !corsOrigins.has(origin.toLowerCase()) || !isAws || (headers !== undefined && headers !== '' && !HEADER_LIST.test(headers))) {
    throw new AccessDeniedException('This preflight is not allowed: CORS is open to the configured origins, for the AWS operations only.');
  }
  reply
    .code(204)
    .header('access-control-allow-origin', origin)
    .header('access-control-allow-methods', 'GET, POST, PUT, DELETE, PATCH')
    .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S))
    .header('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  if (headers) reply.header('access-control-allow-headers', headers);
  return reply.send();
}

/**
 * The admin surface changes state only from JSON: a cross-site HTML form can send only urlencoded,
 * multipart or text bodies, so requiring JSON (when there is a body) closes that door even for a browser
 * that sends no Origin.
 */
export function requireJsonBody(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method)) return;
  const type = request.headers['content-type'];
  const hasBody = (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0') || request.headers['transfer-encoding'] !== undefined;
  if (!hasBody && type === undefined) return;
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) {
    throw new BadRequestException(`${request.method} requests to the service's own routes must send Content-Type: application/json${type ? `, not '${type.slice(0, 64)}'` : ''}.`);
  }
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The host name of a Host header value: without the port, brackets or a trailing dot, lower case. */
function hostNameOf(host: string): string {
  const h = host.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']')) : h.replace(/:\d*$/, '');
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function isLoopbackAddress(name: string): boolean {
  return /^127(\.\d{1,3}){3}$/.test(name) || name === '::1' || name === '::ffff:127.0.0.1';
}

/** An Origin names this service when its host[:port] is the Host the request was sent to. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host.toLowerCase() === host.trim().toLowerCase();
  } catch {
    return false;
  }
}
