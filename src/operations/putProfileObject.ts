import { BadRequestException, ThrottlingException } from '../api/errors.js';
import { TurnNotReached } from '../store/turns.js';
import type { PutProfileObjectRequest, PutProfileObjectResponse } from '../api/shapes.generated.js';
import { parseJsonBounded } from '../protocol/json.js';
import { ingestionTurn, mapForIngestion, putProfileObjects } from '../ingest/profile-objects.js';
import type { Store } from '../store/types.js';
import type { Handler, OperationContext } from './context.js';
import { requireDomain } from './common.js';
import { requireObjectTypeOrTemplate } from './profile-common.js';

/**
 * Ingests one object through the same path as the workflow engine (`putProfileObjects`): found by its
 * UNIQUE key it is replaced, otherwise added; its keys find or create its profile. An ObjectTypeName
 * the domain does not define but that is a template id uses the template (requireObjectTypeOrTemplate).
 */
export const putProfileObject: Handler<PutProfileObjectRequest, PutProfileObjectResponse> = async (ctx, input) => {
  const record = parseJsonBounded(input.Object, 'the Object');
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new BadRequestException('The Object must be a JSON object ({...}), not an array or a single value.');
  }
  const now = ctx.clock.now();
  const [result] = await ingestInTurn(
    ctx,
    input.DomainName,
    async (store) => {
      await requireDomain({ ...ctx, store }, input.DomainName);
      // Held: a DeleteProfileObjectType waits for this object, or this for the deletion (then: not found).
      const objectType = await requireObjectTypeOrTemplate(ctx, input.DomainName, input.ObjectTypeName, store, 'key-share');
      return putProfileObjects(store, ctx.scope, input.DomainName, objectType, [record as Record<string, unknown>], now, {
        source: { kind: 'api' },
      });
    },
    async () => {
      await requireDomain(ctx, input.DomainName);
      mapForIngestion(await requireObjectTypeOrTemplate(ctx, input.DomainName, input.ObjectTypeName), [record as Record<string, unknown>]);
    },
  );
  return { ProfileObjectUniqueKey: result.uniqueKey };
};

/**
 * Runs `work` in a transaction that takes the domain's ingestion turn (ingestionTurn), as every caller of
 * putProfileObjects from the API does. Behind a busy domain's ingestions, `whileWaiting` makes the call's
 * checks outside the line, so that a call naming what does not exist, or an object its type cannot map,
 * answers at once rather than after everyone ahead of it. A turn not reached answers ThrottlingException.
 */
export async function ingestInTurn<T>(
  ctx: OperationContext,
  domainName: string,
  work: (store: Store) => Promise<T>,
  whileWaiting: () => Promise<void>,
  what = 'the object',
): Promise<T> {
  try {
    return await ctx.store.transaction(work, { ...ingestionTurn(ctx.scope, domainName), whileWaiting });
  } catch (err) {
    if (err instanceof TurnNotReached) {
      throw new ThrottlingException(
        `The domain ${domainName} is busy with other ingestions: ${what} waited ${err.waitedMs / 1000} s and was not written. Try again.`,
      );
    }
    throw err;
  }
}
