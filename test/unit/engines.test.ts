import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import semver from 'semver';

/**
 * `npm ci` warns (EBADENGINE) for every locked package whose `engines.node` the running Node does not
 * meet; on the Node versions this package supports a fresh install must be quiet. The lockfile records
 * each package's engines, so this reads them instead of running an install.
 */
test('every locked package accepts the running Node (npm ci prints no engine warning)', () => {
  const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[]; optional?: boolean }>;
  };
  const refused = Object.entries(lock.packages)
    .filter(([, p]) => !p.optional && !Array.isArray(p.engines) && p.engines?.node && !semver.satisfies(process.version, p.engines.node, { includePrerelease: true }))
    .map(([path, p]) => `${path || 'profileflow'}@${p.version ?? ''} wants node ${(p.engines as { node: string }).node}`);
  assert.deepEqual(refused, [], `Node ${process.version} is refused by: ${refused.join('; ')}`);
});
