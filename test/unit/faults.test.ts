import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seedIds } from '../../src/domain/ids.js';
import { FaultInjector } from '../../src/server/faults.js';

const A = '111111111111';
const B = '222222222222';

/** Which of `n` calls of `account` a 50 % rule fails. */
function hits(faults: FaultInjector, account: string, n: number): boolean[] {
  return Array.from({ length: n }, () => faults.decide('GetWorkflow', account).error !== undefined);
}

// Found by attacking this service: all accounts drew from one random stream and a tenant's rule change
// restarted it, so one tenant's traffic decided which of another account's calls its rules hit.
test("one account's calls and rule changes do not move another account's probability rolls", () => {
  seedIds('faults-by-account');
  const quiet = new FaultInjector();
  quiet.replace([{ operation: 'GetWorkflow', probability: 0.5, error: 'ThrottlingException', accountId: A }]);
  const expected = hits(quiet, A, 40);

  const busy = new FaultInjector();
  busy.replace([{ operation: 'GetWorkflow', probability: 0.5, error: 'ThrottlingException', accountId: A }]);
  const seen: boolean[] = [];
  for (let i = 0; i < 40; i++) {
    hits(busy, B, 3);
    if (i % 7 === 0) busy.replace([{ operation: '*', probability: 0.5, latencyMs: 0, error: 'InternalServerException' }], B);
    seen.push(...hits(busy, A, 1));
  }
  assert.deepEqual(seen, expected);
  assert.ok(expected.includes(true) && expected.includes(false), 'a 50 % rule both hits and misses');
  seedIds(undefined);
});
