import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestException, type ServiceError, UnknownOperationException } from '../api/errors.js';
import { appflowService, customerProfilesService, isServiceName, type ServiceName } from '../api/services.js';
import type { Caller } from '../auth/caller.js';
import { InvalidSignatureException } from '../auth/sigv4.js';
import { Router } from '../protocol/router.js';

/**
 * Who may call an admin route:
 * - `public`: anyone (health for load balancers, the console's static files, which hold no data);
 * - `account`: a tenant, acting on its own account only (reset, fault rules, its events), or the operator on any;
 * - `operator`: the operator only (connector profiles, clock, engine, ids, metrics, webhooks).
 * With authentication off, the caller is the developer at the keyboard, who is both.
 */
export type AdminAccess = 'public' | 'account' | 'operator';

/** What the router chose for a request: decided once, read by every later hook and handler. */
export type MatchedRoute =
  /** An operation of one of the two models (implemented or not: a 501 still has a name). */
  | { kind: 'aws'; service: ServiceName; operation: string; labels: Record<string, string> }
  /** The AWS route, but no operation serves the path: answered with `error` once the caller is known. */
  | { kind: 'aws-unmatched'; service: ServiceName; error: ServiceError }
  /** A route of the service's own surface, named by its pattern (`/_profileflow/reset`). */
  | { kind: 'admin'; name: string; access: AdminAccess }
  /** No route: the not-found handler answers. */
  | { kind: 'none' };

/** One per request, set in the first `onRequest` hook: the route, the caller (once authenticated), the request id. */
export interface RequestContext {
  route: MatchedRoute;
  /**
   * The metrics and log label: a Customer Profiles operation name (`GetWorkflow`), an AppFlow one with its
   * service (`appflow:CreateFlow`, since both have a TagResource), an admin route pattern, or `Unknown`.
   * Bounded by the route tables.
   */
  operation: string;
  /** The AWS service the request was routed to; absent on admin and unknown routes. */
  service?: ServiceName;
  requestId: string;
  /** Set by the authentication hook (preHandler: a signature covers the body); absent on public routes. */
  caller?: Caller;
}

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
  interface FastifyContextConfig {
    /** Set on every admin route: who may call it. */
    access?: AdminAccess;
    /** Set on the AWS catch-all route. */
    aws?: boolean;
  }
}

/** Every operation of each model counts as routable here: the name is wanted even for a 501. */
const routers: Record<ServiceName, Router> = {
  profile: new Router(customerProfilesService.routes, new Set(customerProfilesService.routes.map((o) => o.name)), customerProfilesService.title),
  appflow: new Router(appflowService.routes, new Set(appflowService.routes.map((o) => o.name)), appflowService.title),
};

/** The first step of every request: every answer names its request, errors and the not-found handler's included. */
export function stampRequestId(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-amzn-requestid', request.id);
}

/** Every request carries `ctx`, filled by `routeRequest`, the first step of every request. */
export function decorateRequestContext(app: FastifyInstance): void {
  app.decorateRequest('ctx', null as unknown as RequestContext);
}

/**
 * Fills `ctx` first thing in `onRequest`, from the route Fastify matched (its config and pattern), never
 * from how the URL was spelled: `/%5Fprofileflow/reset` and `/_profileflow/reset` reach the same route and
 * so the same decision. Targets that a router could read two ways are refused before anything else looks
 * at them: the absolute form (`GET http://x/…`) and `.`/`..` segments, plain or percent-encoded (a proxy
 * in front would resolve them; we do not).
 */
export function routeRequest(request: FastifyRequest): void {
  request.ctx = { route: { kind: 'none' }, operation: 'Unknown', requestId: request.id };
  const rawUrl = request.raw.url ?? '/';
  if (!rawUrl.startsWith('/')) {
    throw new BadRequestException('The request target must be a path (origin form, starting with /); absolute-form targets are not accepted.');
  }
  const path = pathOf(rawUrl);
  if (hasDotSegment(path)) {
    throw new BadRequestException("The request path contains a '.' or '..' segment (plain or percent-encoded); profileflow does not resolve them.");
  }
  request.ctx.route = matchedRoute(request, path);
  request.ctx.operation = labelOf(request.ctx.route);
  if (request.ctx.route.kind === 'aws' || request.ctx.route.kind === 'aws-unmatched') request.ctx.service = request.ctx.route.service;
}

function matchedRoute(request: FastifyRequest, path: string): MatchedRoute {
  const config = request.routeOptions.config;
  if (config?.access) return { kind: 'admin', name: request.routeOptions.url ?? 'Unknown', access: config.access };
  if (config?.aws) return awsRoute(request.method, path, scopeServiceOf(request.headers.authorization, request.raw.url ?? '/'));
  return { kind: 'none' };
}

/**
 * Which service a request is for. Customer Profiles and AppFlow share the endpoint and one path shape
 * (`/tags/{resourceArn}`, GET/POST/DELETE in both), so the signature's credential scope decides, as AWS's
 * own front ends are per service: `profile` or `appflow`, and any other service is refused. An unsigned
 * request (authentication off) is routed by path: an AppFlow-only path (`/create-flow`…) is AppFlow, a
 * shared `/tags/` path is AppFlow when the ARN in it names the appflow service, and anything else is
 * Customer Profiles, as before AppFlow was served.
 */
export function awsRoute(method: string, path: string, scopeService: string | undefined): MatchedRoute {
  if (scopeService !== undefined) {
    if (!isServiceName(scopeService)) {
      return {
        kind: 'aws-unmatched',
        service: 'profile',
        error: new InvalidSignatureException(
          `Credential should be scoped to correct service: 'profile' (Customer Profiles) or 'appflow' (Amazon AppFlow), not '${scopeService.slice(0, 32)}'.`,
        ),
      };
    }
    return matchIn(scopeService, method, path);
  }
  const profile = matchIn('profile', method, path);
  const appflow = matchIn('appflow', method, path);
  if (appflow.kind === 'aws' && (profile.kind !== 'aws' || namesAppflowArn(appflow.labels.resourceArn))) return appflow;
  return profile.kind === 'aws-unmatched' && profile.error instanceof UnknownOperationException && appflow.kind === 'aws-unmatched' && !(appflow.error instanceof UnknownOperationException)
    ? appflow
    : profile;
}

function matchIn(service: ServiceName, method: string, path: string): MatchedRoute {
  try {
    const { operation, labels } = routers[service].match(method, path);
    return { kind: 'aws', service, operation, labels };
  } catch (err) {
    return { kind: 'aws-unmatched', service, error: err as ServiceError };
  }
}

function namesAppflowArn(arn: string | undefined): boolean {
  return arn !== undefined && /^arn:[^:]+:appflow:/.test(arn);
}

const CREDENTIAL_SERVICE = /Credential=[^/,\s]+\/[^/,\s]+\/[^/,\s]+\/([^/,\s]+)\//;

/** The service named by the SigV4 credential scope (Authorization header or presigned query), if any. */
export function scopeServiceOf(authorization: string | undefined, rawUrl: string): string | undefined {
  if (authorization !== undefined) return CREDENTIAL_SERVICE.exec(authorization)?.[1];
  const q = rawUrl.indexOf('?');
  if (q === -1) return undefined;
  const scope = new URLSearchParams(rawUrl.slice(q + 1)).get('X-Amz-Credential');
  const parts = scope?.split('/');
  return parts && parts.length === 5 ? parts[3] : undefined;
}

function labelOf(route: MatchedRoute): string {
  if (route.kind === 'aws') return route.service === 'appflow' ? `appflow:${route.operation}` : route.operation;
  if (route.kind === 'admin') return route.name;
  return 'Unknown';
}

export function pathOf(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  return q === -1 ? rawUrl : rawUrl.slice(0, q);
}

const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

function hasDotSegment(path: string): boolean {
  return path.split('/').some((segment) => segment !== '' && DOT_SEGMENT.test(segment));
}

type Hook = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * A hook whose work is synchronous, in Fastify's callback form: an `async` hook costs every request a
 * promise and a turn of the microtask queue, and the request path runs several of these hooks.
 */
export function syncHook(work: Hook): (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void {
  return (request, reply, done) => {
    try {
      work(request, reply);
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  };
}
