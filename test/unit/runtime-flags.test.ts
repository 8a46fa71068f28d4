import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyServiceV8Flags, SERVICE_V8_FLAGS, serviceV8Flags } from '../../src/cli/runtime-flags.js';

describe('the V8 settings of the service processes', () => {
  test('serve and worker turn allocation-site pretenuring off', () => {
    assert.deepEqual(SERVICE_V8_FLAGS, ['--no-allocation-site-pretenuring']);
    assert.deepEqual(serviceV8Flags([]), ['--no-allocation-site-pretenuring']);
    assert.deepEqual(serviceV8Flags(['--enable-source-maps', '--max-old-space-size=512']), ['--no-allocation-site-pretenuring']);
  });

  test("a setting named on node's command line, in any spelling, is the operator's choice", () => {
    for (const argv of [
      ['--allocation-site-pretenuring'],
      ['--no-allocation-site-pretenuring'],
      ['--allocation_site_pretenuring'],
      ['--no_allocation_site_pretenuring'],
      ['--allocation-site-pretenuring=true'],
    ]) {
      assert.deepEqual(serviceV8Flags(argv), [], argv.join(' '));
    }
  });

  test('applying sets each flag through V8 and answers what it set', () => {
    const set: string[] = [];
    assert.deepEqual(applyServiceV8Flags([], (flag) => set.push(flag)), ['--no-allocation-site-pretenuring']);
    assert.deepEqual(set, ['--no-allocation-site-pretenuring']);
    set.length = 0;
    assert.deepEqual(applyServiceV8Flags(['--allocation-site-pretenuring'], (flag) => set.push(flag)), []);
    assert.deepEqual(set, []);
  });
});
