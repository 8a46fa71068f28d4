import { BadRequestException } from '../api/errors.js';
import type { BatchPutProfileObjectRequest, BatchPutProfileObjectResponse } from '../api/shapes.generated.js';
import { putProfileObjects } from '../ingest/profile-objects.js';
import { parseJsonBounded } from '../protocol/json.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { requireObjectTypeOrTemplate } from './profile-common.js';
import { ingestInTurn } from './putProfileObject.js';

/** The Code of a Failed item: the HTTP status PutProfileObject would have answered for it. */
const BAD_REQUEST = 400;

/**
 * Up to ten objects (model) of one type through PutProfileObject's path, in one transaction: each item is
 * Successful with the ProfileObjectUniqueKey a PutProfileObject of it would answer, or Failed with the
 * status and message that call would have answered (not JSON, not an object, rejected by the object type)
 * [I: AWS documents the Code as "the HTTP status code for the error"]. Items later in the batch see the
 * effects of earlier ones, as if they had come one by one. A missing domain or object type fails the call.
 * Ids correlate items with the answer, so an Id given twice is a BadRequestException [I].
 */
export const batchPutProfileObject: Handler<BatchPutProfileObjectRequest, BatchPutProfileObjectResponse> = async (ctx, input) => {
  const seen = new Set<string>();
  for (const { Id } of input.Items) {
    if (seen.has(Id)) throw new BadRequestException(`Items holds the Id ${Id} more than once: each item needs its own Id, which its answer names.`);
    seen.add(Id);
  }
  const failed: NonNullable<BatchPutProfileObjectResponse['Failed']> = [];
  const accepted: { id: string; record: Record<string, unknown> }[] = [];
  for (const { Id, Object: text } of input.Items) {
    try {
      const record = parseJsonBounded(text, 'the Object');
      if (record === null || typeof record !== 'object' || Array.isArray(record)) {
        throw new BadRequestException('The Object must be a JSON object ({...}), not an array or a single value.');
      }
      accepted.push({ id: Id, record: record as Record<string, unknown> });
    } catch (err) {
      if (!(err instanceof BadRequestException)) throw err;
      failed.push({ Id, Code: BAD_REQUEST, Message: err.message });
    }
  }
  const records = accepted.map((a) => a.record);
  const now = ctx.clock.now();
  const written = await ingestInTurn(
    ctx,
    input.DomainName,
    async (store) => {
      await requireDomain({ ...ctx, store }, input.DomainName);
      const objectType = await requireObjectTypeOrTemplate(ctx, input.DomainName, input.ObjectTypeName, store, 'key-share');
      const rejected = new Map<number, string>();
      const results = await putProfileObjects(store, ctx.scope, input.DomainName, objectType, records, now, {
        source: { kind: 'api' },
        onRejected: (index, message) => rejected.set(index, message),
      });
      return { results, rejected };
    },
    async () => {
      await requireDomain(ctx, input.DomainName);
      await requireObjectTypeOrTemplate(ctx, input.DomainName, input.ObjectTypeName);
    },
  );
  // The results are those of the records the object type accepted, in their order.
  const successful: NonNullable<BatchPutProfileObjectResponse['Successful']> = [];
  let next = 0;
  accepted.forEach(({ id }, index) => {
    const rejection = written.rejected.get(index);
    if (rejection !== undefined) failed.push({ Id: id, Code: BAD_REQUEST, Message: rejection });
    else successful.push({ Id: id, ProfileObjectUniqueKey: written.results[next++]!.uniqueKey });
  });
  const order = new Map(input.Items.map((item, i) => [item.Id, i]));
  failed.sort((a, b) => order.get(a.Id)! - order.get(b.Id)!);
  return { Successful: successful, Failed: failed };
};
