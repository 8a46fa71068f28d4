import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestException, type ServiceError } from '../api/errors.js';
import { allOperations } from '../api/service.js';
import type { Caller } from '../auth/caller.js';
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
  /** An operation of the model (implemented or not: a 501 still has a name). */
  | { kind: 'aws'; operation: string; labels: Record<string, string> }
  /** The AWS route, but no operation serves the path: answered with `error` once the caller is known. */
  | { kind: 'aws-unmatched'; error: ServiceError }
  /** A route of the service's own surface, named by its pattern (`/_profileflow/reset`). */
  | { kind: 'admin'; name: string; access: AdminAccess }
  /** No route: the not-found handler answers. */
  | { kind: 'none' };

/** One per request, set in the first `onRequest` hook: the route, the caller (once authenticated), the request id. */
export interface RequestContext {
  route: MatchedRoute;
  /** The metrics and log label: an AWS operation name, an admin route pattern, or `Unknown`. Bounded by the route table. */
  operation: string;
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

/** Every operation of the model counts as routable here: the name is wanted even for a 501. */
const router = new Router(allOperations, new Set(allOperations.map((o) => o.name)));

/**
 * Decorates requests with `ctx` and fills it first thing in `onRequest`, from the route Fastify matched
 * (its config and pattern), never from how the URL was spelled: `/%5Fprofileflow/reset` and
 * `/_profileflow/reset` reach the same route and so the same decision. Targets that a router could read
 * two ways are refused before anything else looks at them: the absolute form (`GET http://x/…`) and
 * `.`/`..` segments, plain or percent-encoded (a proxy in front would resolve them; we do not).
 */
export function registerRequestContext(app: FastifyInstance): void {
  app.decorateRequest('ctx', null as unknown as RequestContext);
  app.addHook('onRequest', syncHook((request) => {
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
  }));
}

function matchedRoute(request: FastifyRequest, path: string): MatchedRoute {
  const config = request.routeOptions.config;
  if (config?.access) return { kind: 'admin', name: request.routeOptions.url ?? 'Unknown', access: config.access };
  if (config?.aws) {
    try {
      const { operation, labels } = router.match(request.method, path);
      return { kind: 'aws', operation, labels };
    } catch (err) {
      return { kind: 'aws-unmatched', error: err as ServiceError };
    }
  }
  return { kind: 'none' };
}

function labelOf(route: MatchedRoute): string {
  if (route.kind === 'aws') return route.operation;
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

export function isAwsOperation(request: FastifyRequest): request is FastifyRequest & { ctx: { route: { kind: 'aws' } } } {
  return request.ctx?.route.kind === 'aws';
}

/** The URI labels of an AWS request (DomainName, WorkflowId…), percent-decoded; empty for any other route. */
export function labelsOf(request: FastifyRequest): Record<string, string> {
  const route = request.ctx?.route;
  return route?.kind === 'aws' ? route.labels : {};
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
