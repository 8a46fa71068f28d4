import type { FastifyRequest } from 'fastify';
import { AccessDeniedException } from '../api/errors.js';
import { type AuthSettings, authenticate, type Caller } from '../auth/caller.js';
import { checkSigV4BeforeBody } from '../auth/sigv4.js';
import type { RequestStep } from './request-hooks.js';

/**
 * Authenticates every request that is not to a public route, once, in `preHandler` (a signature covers
 * the body, which is read by then), and puts the caller on the request context. An operator key acts in
 * no account, so it is refused on the AWS routes: operator and tenant are different credentials.
 */
export function authenticationSteps(auth: AuthSettings | undefined): { onRequest?: RequestStep; preHandler: RequestStep } {
  // Before the body is read: a request that carries no signature, a malformed or expired one, or one of a
  // key nobody configured is answered at once, so such a client cannot make the service hold a body of up
  // to the body limit for the whole request timeout. The signature itself covers the body: checked below.
  const beforeBody: RequestStep | undefined =
    auth?.mode === 'sigv4'
      ? (request) => {
          const { route } = request.ctx;
          if (route.kind === 'none' || (route.kind === 'admin' && route.access === 'public')) return;
          checkSigV4BeforeBody({ method: request.method, rawUrl: request.raw.url ?? '/', rawHeaders: request.raw.rawHeaders }, auth.credentials ?? new Map(), (auth.now ?? Date.now)());
        }
      : undefined;
  const authenticateRequest: RequestStep = (request) => {
    const { route } = request.ctx;
    if (route.kind === 'none' || (route.kind === 'admin' && route.access === 'public')) return;
    const rawUrl = request.raw.url ?? '/';
    const q = rawUrl.indexOf('?');
    const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));
    const caller = authenticate(auth, { method: request.method, rawUrl, rawHeaders: request.raw.rawHeaders, body: request.body as Buffer | undefined }, query);
    request.ctx.caller = caller;
    if (route.kind !== 'admin' && caller.role === 'operator') {
      throw new AccessDeniedException(
        'Operator credentials reach the service\'s own routes under /_profileflow/, not the AWS APIs, and act in no account; sign AWS requests with a tenant key.',
      );
    }
  };
  return { onRequest: beforeBody, preHandler: authenticateRequest };
}

/**
 * Inside the admin surface (an encapsulated plugin, so this runs for every one of its routes however
 * the URL was spelled): a tenant key reaches only `account` routes; `operator` routes need the operator.
 */
export function authorizeAdminRoute(request: FastifyRequest): void {
  const { route, caller } = request.ctx;
  if (route.kind !== 'admin' || route.access !== 'operator' || !caller) return;
  if (caller.role === 'tenant') {
    throw new AccessDeniedException(
      `${request.method} ${route.name} is an operator route; tenant credentials reach the AWS APIs and their own account's testing controls (reset, faults, events) only.`,
    );
  }
}

/**
 * The account an `account` route acts on for this caller: a tenant's own, always; the operator's (or the
 * developer's, with authentication off) choice, `undefined` meaning every account. Asking for another
 * account with a tenant key is refused rather than silently narrowed, so a mistake is seen.
 */
export function accountScopeOf(request: FastifyRequest, asked: string | undefined): string | undefined {
  const caller: Caller | undefined = request.ctx.caller;
  if (caller?.role !== 'tenant') return asked;
  if (asked !== undefined && asked !== caller.accountId) {
    throw new AccessDeniedException(`Tenant credentials act on their own account (${caller.accountId}) only, not on ${asked.slice(0, 32)}.`);
  }
  return caller.accountId;
}

