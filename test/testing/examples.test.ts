/**
 * The examples run as a user would run them, with exactly the commands of examples/github-actions.yml:
 * the Vitest project (profileflow/testing in process, installed from this checkout through `file:../..`)
 * and the pytest suite (boto3 against a spawned `profileflow serve --port 0`). Each must pass.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { hasPytest } from '../helpers/aws-clients.js';

const BUNDLE = 'dist/bundle/profileflow.js';

function run(command: string, args: string[], timeoutMs: number): { status: number | null; output: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: undefined } });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

describe('examples/', () => {
  test('examples/vitest: startProfileflow in beforeAll, three tests pass', () => {
    assert.ok(existsSync('dist/testing/index.js'), 'dist/ is not built: run `npm run build` first');
    // Its own node_modules (gitignored): installed once from its lockfile, as CI would.
    if (!existsSync('examples/vitest/node_modules/vitest')) {
      const install = run('npm', ['ci', '--prefix', 'examples/vitest', '--no-audit', '--no-fund'], 300_000);
      assert.equal(install.status, 0, `npm ci --prefix examples/vitest failed:\n${install.output}`);
    }
    const r = run('npm', ['test', '--prefix', 'examples/vitest'], 120_000);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /Tests\s+3 passed/);
  });

  test('examples/pytest: the fixture spawns serve --port 0 and boto3 tests pass', { skip: !hasPytest && 'python3 with pytest and boto3 is not installed' }, () => {
    assert.ok(existsSync(BUNDLE), `${BUNDLE} is not built: run \`npm run build\` first`);
    const r = run('python3', ['-m', 'pytest', 'examples/pytest', '-q'], 120_000);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /4 passed/);
  });
});
