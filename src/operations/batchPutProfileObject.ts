import { BadRequestException } from '../api/errors.js';
import type { BatchPutProfileObjectRequest, BatchPutProfileObjectResponse } from '../api/shapes.generated.js';
import { mapForIngestion, type PutObjectResult, putProfileObjects } from '../ingest/profile-objects.js';
import { parseJsonBounded } from '../protocol/json.js';
import type { Handler } from './context.js';
import { requireDomain } from './common.js';
import { requireObjectTypeOrTemplate } from './profile-common.js';
import { ingestInTurn } from './putProfileObject.js';

/** Thrown while waiting for the domain's turn when the object type rejects every item: nothing to wait for. */
class NothingToWrite extends Error {
  constructor(readonly rejected: Map<number, string>) {
    super('Every item of the batch is rejected by its object type.');
  }
}

/** The Code of a Failed item: the HTTP status PutProfileObject would have answered for it. */
const BAD_REQUEST = 400;

/**
 * Up to ten objects (model) of one type through PutProfileObject's path, in one transaction: each item is
 * Successful with the ProfileObjectUniqueKey a PutProfileObject of it would answer, or Failed with the
 * status and message that call would have answered (not JSON, not an object, rejected by the object type)
 * [I: AWS documents the Code as "the HTTP status code for the error"]. Items later in the batch see the
 * effects of earlier ones (the profiles they created or found, the objects they wrote), as a workflow
 * page's records do; the history records each object's versions, and each profile's creation or update
 * once for the batch, not once per item. A missing domain or object type fails the call.
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
  let written: { results: PutObjectResult[]; rejected: Map<number, string> };
  try {
    written = await ingestInTurn(
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
      // Behind a busy domain, a batch of which nothing can be written answers at once, as PutProfileObject does.
      async () => {
        await requireDomain(ctx, input.DomainName);
        const rejected = new Map<number, string>();
        mapForIngestion(await requireObjectTypeOrTemplate(ctx, input.DomainName, input.ObjectTypeName), records, (index, message) => rejected.set(index, message));
        if (rejected.size === records.length) throw new NothingToWrite(rejected);
      },
      'the batch',
    );
  } catch (err) {
    if (!(err instanceof NothingToWrite)) throw err;
    written = { results: [], rejected: err.rejected };
  }
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
