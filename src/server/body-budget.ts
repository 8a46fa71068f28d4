import { ThrottlingException } from '../api/errors.js';
import { resolveCaller, type AuthSettings } from '../auth/caller.js';
import type { RequestStep } from './request-hooks.js';

/** Bytes of request bodies the whole process holds at once, by default. */
export const DEFAULT_BODY_MEMORY_BYTES = 256 * 1024 * 1024;

/**
 * The bytes of request bodies held at once, by the whole process and by each account. A body is held
 * whole in memory from its first byte until the request is answered (the signature covers it, and the
 * protocol layer reads it as one document), so without this a client with 1,000 connections and an 8 MiB
 * (or 32 MiB) body on each could make the process hold gigabytes. An account may hold a quarter of the
 * budget, so one tenant cannot take it all from the others.
 *
 * A body that would pass a limit is refused before it is read, with ThrottlingException (429): the SDKs
 * retry it with back-off, by which time bodies in flight have gone. One body is always admitted when
 * its account holds nothing and the process nothing, whatever the budget, so no size up to a route's
 * body limit is refused for good.
 */
export class BodyBudget {
  private held = 0;
  private readonly heldBy = new Map<string, number>();
  readonly perAccountBytes: number;

  constructor(readonly totalBytes: number = DEFAULT_BODY_MEMORY_BYTES) {
    if (!Number.isSafeInteger(totalBytes) || totalBytes < 1) throw new RangeError('the body memory budget must be a whole number of bytes, at least 1');
    this.perAccountBytes = Math.max(1, Math.floor(totalBytes / 4));
  }

  /** Bytes of bodies held now, by everyone. */
  get heldBytes(): number {
    return this.held;
  }

  /** Takes `bytes` for `account`, or answers which limit it would pass. */
  reserve(account: string, bytes: number): 'ok' | 'account' | 'total' {
    const mine = this.heldBy.get(account) ?? 0;
    if (mine > 0 && mine + bytes > this.perAccountBytes) return 'account';
    if (this.held > 0 && this.held + bytes > this.totalBytes) return 'total';
    this.heldBy.set(account, mine + bytes);
    this.held += bytes;
    return 'ok';
  }

  release(account: string, bytes: number): void {
    const left = (this.heldBy.get(account) ?? 0) - bytes;
    if (left > 0) this.heldBy.set(account, left);
    else this.heldBy.delete(account);
    this.held -= bytes;
  }
}

const MiB = 1024 * 1024;

/**
 * The request step that reserves a body's bytes before it is read (an `onRequest` step, after the
 * signature's envelope was checked, so with SigV4 the account is one the operator configured) and gives
 * them back when the answer is sent or the connection goes. A body with no declared length is counted at
 * its route's limit, all it may grow to.
 */
export function bodyBudgetStep(budget: BodyBudget, auth: AuthSettings | undefined, defaultBodyLimit: number): RequestStep {
  return (request, reply) => {
    const declared = request.headers['content-length'];
    const limit = request.routeOptions.bodyLimit ?? defaultBodyLimit;
    let bytes: number;
    if (declared !== undefined) {
      bytes = Number(declared);
      // Longer than the route takes: refused by the body parser before a byte is read.
      if (!(bytes > 0) || bytes > limit) return;
    } else if (request.headers['transfer-encoding'] !== undefined) {
      bytes = limit;
    } else {
      return;
    }
    const account = accountClaimed(request.headers.authorization, request.raw.url ?? '/', auth);
    const refused = budget.reserve(account, bytes);
    if (refused !== 'ok') {
      throw new ThrottlingException(
        refused === 'account'
          ? `This account's requests in flight already hold ${Math.round(budget.perAccountBytes / MiB)} MiB of request bodies, its share; retry when some have been answered.`
          : `The service already holds ${Math.round(budget.totalBytes / MiB)} MiB of request bodies, its limit; retry shortly.`,
      );
    }
    reply.raw.once('close', () => budget.release(account, bytes));
  };
}

/**
 * The account a request's credential names. With SigV4 the key was found in the operator's table before
 * this step (an unknown key is refused first), so its account is the one configured; an operator key
 * holds its bodies apart from every tenant's.
 */
function accountClaimed(authorization: string | undefined, rawUrl: string, auth: AuthSettings | undefined): string {
  const q = rawUrl.indexOf('?');
  const caller = resolveCaller(authorization, new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1)));
  if (auth?.mode !== 'sigv4' || caller.accessKeyId === undefined) return caller.accountId;
  const credential = auth.credentials?.get(caller.accessKeyId);
  if (!credential) return caller.accountId;
  return credential.role === 'operator' ? '\u0000operator' : credential.accountId;
}
