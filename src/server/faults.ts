import { setTimeout as delay } from 'node:timers/promises';
import {
  abridge,
  AccessDeniedException,
  BadRequestException,
  InternalServerException,
  ResourceNotFoundException,
  ServiceError,
  ThrottlingException,
} from '../api/errors.js';
import { allOperations } from '../api/service.js';
import { appflowService } from '../api/services.js';
import { seededRandom } from '../domain/ids.js';
import type { Metrics } from './metrics.js';
import type { RequestStep } from './request-hooks.js';

/** The model's five errors, by name, each with the message a rule without one answers. */
const MODELLED: Record<string, (message: string) => ServiceError> = {
  BadRequestException: (m) => new BadRequestException(m),
  AccessDeniedException: (m) => new AccessDeniedException(m),
  ResourceNotFoundException: (m) => new ResourceNotFoundException(m),
  ThrottlingException: (m) => new ThrottlingException(m),
  InternalServerException: (m) => new InternalServerException(m),
};

export type FaultError = string | { status: number; code: string; message?: string };

/** One rule (LocalStack's chaos API, freely): which operation, how likely, which error, how slow. */
export interface FaultRule {
  /**
   * A Customer Profiles operation name, an AppFlow one after `appflow:` (the request's label, since both
   * services have a TagResource), or '*' (the default) for every AWS operation.
   */
  operation: string;
  /** 0..1, default 1. */
  probability: number;
  error?: FaultError;
  latencyMs?: number;
  /** Only calls in this account; absent: every account. A tenant's rules always carry its own. */
  accountId?: string;
}

const OPERATION_NAMES = new Set([...allOperations.map((o) => o.name), ...appflowService.routes.map((o) => `appflow:${o.name}`)]);
const MAX_RULES = 100;
const MAX_STREAMS = 10_000;

/**
 * The fault rules of this process, applied to AWS operations before their handler. Rolls come from a
 * seeded stream when ids are seeded (`POST /_profileflow/ids`), so a test sees the same faults each run.
 * Every method takes the account it acts for: a tenant sees and changes only the rules of its own account
 * (faulting its own calls is useful and harmless); `undefined` (the operator) acts on all of them.
 */
export class FaultInjector {
  private rules: FaultRule[] = [];
  /**
   * One random stream per calling account, so that one tenant's traffic or rule changes never change
   * which of another account's calls a probability rule hits. Bounded: past the cap the streams start
   * over, as after a re-seed.
   */
  private randoms = new Map<string, () => number>();

  list(accountId?: string): FaultRule[] {
    return this.rules.filter((r) => accountId === undefined || r.accountId === accountId).map((r) => ({ ...r }));
  }

  /**
   * Replaces the rules of `accountId` (every rule, for the operator), after checking them all: one bad
   * rule changes nothing. A tenant's rules are bound to its account whatever they say.
   */
  replace(raw: unknown, accountId?: string): FaultRule[] {
    const checked = checkFaultRules(raw);
    if (accountId === undefined) {
      this.rules = checked;
    } else {
      if (checked.some((r) => r.accountId !== undefined && r.accountId !== accountId)) {
        throw new AccessDeniedException(`Tenant credentials set fault rules for their own account (${accountId}) only.`);
      }
      this.rules = [...this.rules.filter((r) => r.accountId !== accountId), ...checked.map((r) => ({ ...r, accountId }))];
    }
    this.reseed(accountId);
    return this.list(accountId);
  }

  clear(accountId?: string): void {
    this.rules = accountId === undefined ? [] : this.rules.filter((r) => r.accountId !== accountId);
  }

  /** Restarts the random streams (every one after the id seed changes; one account's after its rules change). */
  reseed(accountId?: string): void {
    if (accountId === undefined) this.randoms.clear();
    else this.randoms.delete(accountId);
  }

  private randomOf(accountId: string): () => number {
    let random = this.randoms.get(accountId);
    if (!random) {
      if (this.randoms.size >= MAX_STREAMS) this.randoms.clear();
      random = seededRandom(`faults\u0000${accountId}`);
      this.randoms.set(accountId, random);
    }
    return random;
  }

  /** The effect on a request for `operation`: a delay, then maybe an error. Each matching rule rolls once, in order. */
  decide(operation: string, accountId: string): { latencyMs: number; error?: ServiceError } {
    let latencyMs = 0;
    for (const rule of this.rules) {
      if (rule.operation !== '*' && rule.operation !== operation) continue;
      if (rule.accountId !== undefined && rule.accountId !== accountId) continue;
      if (rule.probability < 1 && this.randomOf(accountId)() >= rule.probability) continue;
      latencyMs += rule.latencyMs ?? 0;
      if (rule.error !== undefined) return { latencyMs, error: errorOf(rule.error, operation) };
    }
    return { latencyMs };
  }
}

function errorOf(error: FaultError, operation: string): ServiceError {
  const message = `Injected fault for ${operation}.`;
  if (typeof error === 'string') return MODELLED[error](message);
  return new ServiceError(error.code, error.status, error.message ?? message);
}

/** Validates a list of rules, or `{rules: [...]}`, naming every problem (up to ten). */
export function checkFaultRules(raw: unknown): FaultRule[] {
  const list = Array.isArray(raw) ? raw : typeof raw === 'object' && raw !== null && Array.isArray((raw as { rules?: unknown }).rules) ? (raw as { rules: unknown[] }).rules : undefined;
  if (!list) throw new BadRequestException('The body must be a JSON array of fault rules, or {"rules": [...]}.');
  if (list.length > MAX_RULES) throw new BadRequestException(`At most ${MAX_RULES} fault rules are allowed, got ${list.length}.`);
  const problems: string[] = [];
  const rules: FaultRule[] = [];
  list.forEach((item, i) => {
    const at = `rules[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push(`${at} must be a JSON object.`);
      return;
    }
    const r = item as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if (!['operation', 'probability', 'error', 'latencyMs', 'accountId'].includes(key)) problems.push(`${at}.${key} is not a rule member (operation, probability, error, latencyMs, accountId).`);
    }
    if (r.accountId !== undefined && (typeof r.accountId !== 'string' || !/^\d{12}$/.test(r.accountId))) problems.push(`${at}.accountId must be a 12-digit account id.`);
    const operation = r.operation ?? '*';
    if (typeof operation !== 'string' || (operation !== '*' && !OPERATION_NAMES.has(operation))) {
      problems.push(`${at}.operation '${abridge(operation)}' is neither '*', a Customer Profiles operation name (e.g. GetWorkflow) nor an AppFlow one after 'appflow:' (e.g. appflow:StartFlow).`);
    }
    const probability = r.probability ?? 1;
    if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) problems.push(`${at}.probability must be a number from 0 to 1.`);
    if (r.latencyMs !== undefined && (!Number.isInteger(r.latencyMs) || (r.latencyMs as number) < 0 || (r.latencyMs as number) > 60_000)) {
      problems.push(`${at}.latencyMs must be a whole number of milliseconds from 0 to 60000.`);
    }
    const error = r.error;
    if (error !== undefined) {
      if (typeof error === 'string') {
        if (!Object.hasOwn(MODELLED, error)) problems.push(`${at}.error '${error.slice(0, 64)}' is not one of ${Object.keys(MODELLED).join(', ')}; or give {status, code, message}.`);
      } else if (typeof error === 'object' && error !== null && !Array.isArray(error)) {
        const e = error as Record<string, unknown>;
        if (!Number.isInteger(e.status) || (e.status as number) < 400 || (e.status as number) > 599) problems.push(`${at}.error.status must be an HTTP error status from 400 to 599.`);
        if (typeof e.code !== 'string' || !/^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(e.code)) problems.push(`${at}.error.code must be an error name of letters and digits (X-Amzn-ErrorType).`);
        if (e.message !== undefined && (typeof e.message !== 'string' || e.message.length > 1024)) problems.push(`${at}.error.message must be a string of at most 1024 characters.`);
      } else {
        problems.push(`${at}.error must be an error name or {status, code, message}.`);
      }
    }
    if (error === undefined && r.latencyMs === undefined) problems.push(`${at} needs an error, a latencyMs, or both.`);
    rules.push({
      operation: operation as string,
      probability: probability as number,
      ...(error !== undefined ? { error: error as FaultError } : {}),
      ...(r.latencyMs !== undefined ? { latencyMs: r.latencyMs as number } : {}),
      ...(r.accountId !== undefined ? { accountId: r.accountId as string } : {}),
    });
  });
  if (problems.length) {
    const shown = problems.slice(0, 10);
    throw new BadRequestException(`${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: ${shown.join(' ')}`);
  }
  return rules;
}

/**
 * Applies the rules, a step of `preHandler`: after routing, body reading and authentication (so a rule
 * bound to an account matches the account that signed), before the operation's handler. The error travels
 * the AWS way (the app's error handler writes status, X-Amzn-ErrorType and {"Message"}). Only a delay
 * makes the request wait; with no rule matching, the step returns at once.
 */
export function faultStep(faults: FaultInjector, metrics?: Metrics): RequestStep {
  return (request) => {
    const { route, caller } = request.ctx;
    if (route.kind !== 'aws' || !caller) return;
    // The label: an AppFlow operation (`appflow:TagResource`) is matched by its own rules and '*' ones,
    // never by a rule naming the Customer Profiles operation of the same name.
    const operation = request.ctx.operation;
    const effect = faults.decide(operation, caller.accountId);
    const fail = () => {
      if (!effect.error) return;
      metrics?.faults.inc({ operation, effect: 'error' });
      request.log.info({ fault: effect.error.code }, 'injected fault');
      throw effect.error;
    };
    if (effect.latencyMs > 0) {
      metrics?.faults.inc({ operation, effect: 'latency' });
      return delay(effect.latencyMs).then(fail);
    }
    fail();
  };
}
