/**
 * AppFlow's `clientToken`: "It ensures that your <Operation> request completes only once […] if you
 * don't receive a response from your request, you can safely retry the request with the same
 * clientToken parameter value. If you specify input parameters that differ from your first request, an
 * error occurs. If you use a different value for clientToken, Amazon AppFlow considers it a new call
 * […]. The token is active for 8 hours." (the AppFlow model, on CreateFlow, CreateConnectorProfile,
 * UpdateFlow, UpdateConnectorProfile, StartFlow.)
 *
 * So a write done under a token is recorded with the request's fingerprint and its answer, in the
 * write's own transaction: a crash leaves both or neither. For 8 hours the same token answers a request
 * with the same parameters with that answer, the work not done again, and one with other parameters with
 * ConflictException (a listed error of every one of these operations) naming the token. A request that
 * failed recorded nothing: its retry is a new attempt. Without a token (a hand-made request; the SDK and
 * the CLI always send one) an operation behaves as it did.
 *
 * [I] Where AWS says no more:
 * - A token's scope is the caller's account and region (as every key here) and the operation: the same
 *   token given to CreateFlow and to UpdateFlow is two tokens. StartFlow's token is scoped to the flow
 *   too: "the error doesn't occur for flows that run on demand" (the model), and the flow's name is
 *   StartFlow's only parameter, so a StartFlow token is never a mismatch; the same token on another flow
 *   starts that one. UpdateFlow's and UpdateConnectorProfile's are not: the resource's name is one of
 *   their parameters, and a token given to another resource is the documented error.
 * - The record outlives its resource: CreateFlow retried after DeleteFlow answers its first answer, as
 *   a retry within the token's life is a retry of that request, whatever happened since.
 * - Records past their 8 hours are purged, now and then (purgeNowAndThen), so the table holds about the
 *   last 8 hours of tokens.
 */
import { ConflictException } from '../../api/appflow/errors.js';
import { CLIENT_TOKEN_ACTIVE_MS, requestFingerprint } from '../../domain/client-token.js';
import type { ClientTokenKey, ClientTokenRecord, Store } from '../../store/types.js';
import type { OperationContext } from '../context.js';

/** How often, at most, a process purges expired records, and how many at most each time (in batches). */
const PURGE_EVERY_MS = 60_000;
const PURGE_BATCH = 1_000;
const PURGE_BATCHES = 20;

/** When each store (each process's) purges next: not on every request, which would pay for it each time. */
const nextPurge = new WeakMap<Store, number>();

/**
 * Expired records go, now and then, in line with a write under a token (so a process that serves AppFlow
 * purges whatever its engine mode), up to PURGE_BATCH × PURGE_BATCHES of them: 20,000 a minute, more
 * than a busy account adds. Best-effort: rows another transaction holds are skipped, and a failure
 * never fails the request that happened to run it.
 */
async function purgeNowAndThen(store: Store, now: number, since: number): Promise<void> {
  if ((nextPurge.get(store) ?? 0) > now) return;
  nextPurge.set(store, now + PURGE_EVERY_MS);
  try {
    for (let i = 0; i < PURGE_BATCHES; i++) if ((await store.clientTokens.purge(since, PURGE_BATCH)) < PURGE_BATCH) break;
  } catch {
    // The next purge takes what this one left.
  }
}

/** A request made under a clientToken: where its token applies, and what it asked. */
export interface TokenedCall {
  key: ClientTokenKey;
  fingerprint: string;
}

type AppflowWrite = 'CreateFlow' | 'CreateConnectorProfile' | 'UpdateFlow' | 'UpdateConnectorProfile' | 'StartFlow';

/** The request's token call, or undefined when it has no token. `resourceName`: StartFlow's flow (above). */
export async function tokenedCall(
  ctx: OperationContext,
  operation: AppflowWrite,
  input: { clientToken?: string },
  resourceName = '',
): Promise<TokenedCall | undefined> {
  if (input.clientToken === undefined) return undefined;
  return { key: { operation, resourceName, clientToken: input.clientToken }, fingerprint: requestFingerprint(input, await ctx.store.pageTokenSecret()) };
}

/**
 * The answer of the earlier request made with this token, when it asked the same; ConflictException when
 * it asked something else; undefined when the token is new, no longer active, or absent. Read before the
 * request's own checks: a retry answers what the first call answered, whatever changed since.
 */
export async function earlierAnswer<O>(ctx: OperationContext, call: TokenedCall | undefined): Promise<O | undefined> {
  if (!call) return undefined;
  const earlier = await ctx.store.clientTokens.get(ctx.scope, call.key, ctx.clock.now() - CLIENT_TOKEN_ACTIVE_MS);
  return earlier && answerOf<O>(earlier, call);
}

/**
 * Runs `work` in one transaction that first claims the token: the work is done, and its answer recorded
 * with the token, together or not at all. When a concurrent request with the same token claimed it first
 * (ClientTokenRepository.claim says how that is seen), `work` is not run and that request's answer is
 * this one's too (or the mismatch error). Without a token, just `work` in a transaction.
 */
export async function writeOnce<O>(ctx: OperationContext, call: TokenedCall | undefined, work: (store: Store) => Promise<O>): Promise<O> {
  if (!call) return ctx.store.transaction(work);
  const now = ctx.clock.now();
  const since = now - CLIENT_TOKEN_ACTIVE_MS;
  await purgeNowAndThen(ctx.store, now, since);
  return ctx.store.transaction(async (store) => {
    if (!(await store.clientTokens.claim(ctx.scope, call.key, call.fingerprint, now, since))) {
      const winner = await store.clientTokens.get(ctx.scope, call.key, since);
      if (!winner) throw new Error(`The clientToken of ${call.key.operation} was held by a record that is gone.`);
      return answerOf<O>(winner, call);
    }
    const answer = await work(store);
    await store.clientTokens.complete(ctx.scope, call.key, JSON.stringify(answer));
    return answer;
  });
}

function answerOf<O>(earlier: ClientTokenRecord, call: TokenedCall): O {
  if (earlier.fingerprint !== call.fingerprint) {
    throw new ConflictException(
      `The clientToken ${call.key.clientToken} was used by an earlier ${call.key.operation} request with different parameters: ` +
        'a retry must repeat that request exactly, and a new request takes a new clientToken.',
    );
  }
  return JSON.parse(earlier.response) as O;
}
