import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyV8Flags, v8FlagsFor } from '../../src/cli/runtime-flags.js';

describe('the V8 settings a profileflow process sets for itself', () => {
  test('serve on PostgreSQL turns allocation-site pretenuring off', () => {
    assert.deepEqual(v8FlagsFor('serve', 'postgres', []), ['--no-allocation-site-pretenuring']);
    assert.deepEqual(v8FlagsFor('serve', 'postgres', ['--enable-source-maps', '--max-old-space-size=512']), ['--no-allocation-site-pretenuring']);
  });

  test("serve on SQLite and worker keep V8's defaults", () => {
    assert.deepEqual(v8FlagsFor('serve', 'sqlite', []), []);
    assert.deepEqual(v8FlagsFor('worker', 'postgres', []), []);
  });

  test("a setting named on node's command line, in any spelling, is the operator's choice", () => {
    for (const argv of [
      ['--allocation-site-pretenuring'],
      ['--no-allocation-site-pretenuring'],
      ['--allocation_site_pretenuring'],
      ['--no_allocation_site_pretenuring'],
      ['--allocation-site-pretenuring=true'],
    ]) {
      assert.deepEqual(v8FlagsFor('serve', 'postgres', argv), [], argv.join(' '));
    }
  });

  test('applying sets each flag through V8 and answers what it set', () => {
    const set: string[] = [];
    assert.deepEqual(applyV8Flags('serve', 'postgres', [], (flag) => set.push(flag)), ['--no-allocation-site-pretenuring']);
    assert.deepEqual(set, ['--no-allocation-site-pretenuring']);
    set.length = 0;
    assert.deepEqual(applyV8Flags('serve', 'postgres', ['--allocation-site-pretenuring'], (flag) => set.push(flag)), []);
    assert.deepEqual(applyV8Flags('worker', 'postgres', [], (flag) => set.push(flag)), []);
    assert.deepEqual(set, []);
  });
});
