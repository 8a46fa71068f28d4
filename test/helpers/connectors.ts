import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { SourceConnectorType } from '../../src/api/shapes.generated.js';
import { type Connector, type ReadRequest, SourceError, type SourcePage } from '../../src/connectors/types.js';
import { testConnectorPolicy } from './connector-policy.js';

/**
 * A read of `kind` with these settings; `profile` in the overrides only renames the profile. The read
 * runs under testConnectorPolicy() unless the overrides give a policy.
 */
export function request(
  kind: string,
  settings: Record<string, unknown>,
  overrides: Omit<Partial<ReadRequest>, 'profile'> & { start: string; end: string; profile?: { name: string } },
): ReadRequest {
  const { start, end, profile, ...rest } = overrides;
  return {
    profile: { name: profile?.name ?? `${kind}-test`, kind, connectorTypes: ['Salesforce', 'S3'], settings },
    connectorType: 'Salesforce' as SourceConnectorType,
    object: 'Account',
    window: { start: new Date(start), end: new Date(end) },
    pageSize: 100,
    policy: testConnectorPolicy(),
    ...rest,
    fields: rest.fields ?? [],
  };
}

export async function readAll(connector: Connector, req: ReadRequest): Promise<SourcePage[]> {
  const pages: SourcePage[] = [];
  for await (const page of connector.read(req)) pages.push(page);
  return pages;
}

export function flat(pages: SourcePage[]): Record<string, unknown>[] {
  return pages.flatMap((p) => p.records);
}

/**
 * The engine's recovery contract: resuming from the cursor of any page yields exactly the records of the
 * pages after it, so nothing is lost or repeated whichever commit was the last before a crash. `resumeWith`
 * changes the request the resume reads with: the engine may resume with another page size (pageSizeFor).
 */
export async function assertResumesFromEveryCursor(connector: Connector, req: ReadRequest, resumeWith: Partial<ReadRequest> = {}): Promise<SourcePage[]> {
  const pages = await readAll(connector, req);
  for (let i = 0; i < pages.length; i++) {
    const rest = flat(await readAll(connector, { ...req, ...resumeWith, cursor: pages[i].cursor }));
    assert.deepEqual(rest, flat(pages.slice(i + 1)), `resuming after page ${i + 1} of ${pages.length}`);
  }
  return pages;
}

/**
 * The read position's contract, checked on a whole read: each page's readThrough lies in the window and
 * never moves back, every record whose time (`timeOf`) lies before it was delivered by that page or an
 * earlier one, and a read that ran to its end says so (window.end on its last page). Answers the
 * positions, so a test can also say how far each page got. `fullPage`: a last page of that many records
 * may not know that nothing follows (a source that learns where the window ends only from the next
 * item), so it need not say window.end.
 */
export function assertReadThroughHolds(
  pages: SourcePage[],
  window: { start: Date; end: Date },
  timeOf: (record: Record<string, unknown>) => number,
  fullPage?: number,
): (number | undefined)[] {
  const positions = pages.map((p) => p.readThrough?.getTime());
  // The earliest record time of the pages after each page.
  const earliestAfter: number[] = new Array(pages.length).fill(Number.POSITIVE_INFINITY);
  for (let i = pages.length - 2; i >= 0; i--) earliestAfter[i] = Math.min(earliestAfter[i + 1], ...pages[i + 1].records.map(timeOf));
  let previous = window.start.getTime();
  positions.forEach((at, i) => {
    if (at === undefined) return;
    assert.ok(at >= previous && at <= window.end.getTime(), `page ${i + 1}: readThrough ${new Date(at).toISOString()} lies in the window and does not move back`);
    previous = at;
    if (earliestAfter[i] < at) {
      assert.fail(`page ${i + 1} says everything before ${new Date(at).toISOString()} was delivered, yet a later page holds a record of ${new Date(earliestAfter[i]).toISOString()}`);
    }
  });
  if (pages.length > 0 && pages.at(-1)!.records.length !== fullPage) {
    assert.equal(positions.at(-1), window.end.getTime(), 'the last page of a finished read is read through the window end');
  }
  return positions;
}

export async function expectSourceError(
  promise: Promise<unknown>,
  kind: SourceError['kind'],
  ...messageParts: (string | RegExp)[]
): Promise<SourceError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SourceError, `expected a SourceError, got ${String(err)}`);
    assert.equal(err.kind, kind, `expected a ${kind} error, got ${err.kind}: ${err.message}`);
    for (const part of messageParts) {
      if (typeof part === 'string') assert.ok(err.message.includes(part), `message '${err.message}' lacks '${part}'`);
      else assert.match(err.message, part);
    }
    return err;
  }
  assert.fail(`expected a ${kind} SourceError, but the read succeeded`);
}

let gcFunction: (() => void) | undefined;
/** Heap in use after a full collection: what a read really keeps, without the garbage it left. */
export function retainedHeap(): number {
  if (!gcFunction) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
  return process.memoryUsage().heapUsed;
}

/**
 * The JavaScript heap plus the memory outside it that objects hold (Buffers, ArrayBuffers), after a full
 * collection: what a reader keeps, without the allocator's slack that makes RSS swing with the load.
 */
export function retainedMemory(): number {
  retainedHeap();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}
