import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { ConfigError, FILE_KEYS, resolveConfig } from '../../src/cli/config.js';
import { loadConnectorProfiles } from '../../src/cli/connector-profiles.js';
import { maskSecrets } from '../../src/connectors/profiles.js';
import { ManualClock } from '../../src/engine/clock.js';
import { buildApp } from '../../src/server/app.js';
import { availableBackends, createTestStore } from '../helpers/backends.js';

// Also the file root the declared files profiles read (--file-roots): the default policy allows none.
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'pf-config-profiles-')));
after(() => rmSync(dir, { recursive: true, force: true }));

const backends = await availableBackends();

let files = 0;
function configWith(connectorProfiles: unknown): string {
  const path = join(dir, `config-${++files}.json`);
  writeFileSync(path, JSON.stringify({ port: 4600, connectorProfiles }));
  return path;
}

function configError(connectorProfiles: unknown): string {
  try {
    resolveConfig({ config: configWith(connectorProfiles) }, {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('the config was accepted');
}

describe('connector profiles in the config file', () => {
  test('declared profiles are read from the file, connectorTypes defaulting to every type', () => {
    const config = resolveConfig(
      {
        'file-roots': dir,
        config: configWith([
          { name: 'crm', kind: 'files', settings: { directory: dir } },
          { name: 'demo', kind: 'synthetic', connectorTypes: ['Marketo'], settings: { recordsPerDay: 1000, seed: 'demo' } },
        ]),
      },
      {},
    );
    assert.deepEqual(config.connectorProfiles, [
      { name: 'crm', kind: 'files', connectorTypes: ['Salesforce', 'Marketo', 'Zendesk', 'Servicenow', 'S3'], settings: { directory: dir } },
      { name: 'demo', kind: 'synthetic', connectorTypes: ['Marketo'], settings: { recordsPerDay: 1000, seed: 'demo' } },
    ]);
    assert.equal(config.port, 4600, 'the other settings of the file still apply');
  });

  test('without the member there are no declared profiles', () => {
    assert.equal(resolveConfig({}, {}).connectorProfiles, undefined);
  });

  test('an invalid entry stops the start with a ConfigError naming the profile and the problem', () => {
    assert.match(configError([{ name: 'crm', kind: 'ftp', settings: {} }]), /connector profile 'crm'.*Unknown connector kind 'ftp'/);
    assert.match(configError([{ name: 'crm', kind: 'files', settings: {} }]), /connector profile 'crm'.*'directory' is required/);
    assert.match(
      configError([{ name: 'crm', kind: 'synthetic', connectorTypes: ['Slack'] }]),
      /connector profile 'crm'.*Unknown connector type 'Slack'/,
    );
    assert.match(configError([{ name: 'has space', kind: 'synthetic' }]), /connector profile 'has space'.*must match/);
    assert.match(configError([{ kind: 'synthetic' }]), /connectorProfiles\[0\].*name must be a non-empty string/);
    assert.match(
      configError([{ name: 'twice', kind: 'synthetic' }, { name: 'twice', kind: 'synthetic' }]),
      /connector profile 'twice' is declared more than once/,
    );
    assert.match(configError({ name: 'x' }), /'connectorProfiles' must be a list/);
    assert.match(configError([{ name: 'ok', kind: 'synthetic' }, { name: 'bad', kind: 'nope' }]), /config-\d+\.json/);
  });

  test('secret-looking settings are masked at any depth and others kept', () => {
    assert.deepEqual(maskSecrets({ directory: '/d', secretAccessKey: 'x', nested: { Password: 'y', n: 1 }, list: [{ token: 't' }] }), {
      directory: '/d',
      secretAccessKey: '***',
      nested: { Password: '***', n: 1 },
      list: [{ token: '***' }],
    });
  });

  for (const backend of backends) {
    test(`at start the declared profiles are upserted and served by the admin routes [${backend}]`, async () => {
      const t = await createTestStore(backend);
      try {
        const clock = new ManualClock(Date.UTC(2026, 0, 1));
        await t.store.connectorProfiles.put({ name: 'crm', kind: 'synthetic', connectorTypes: ['S3'], settings: {} }, 'api', 1);
        await t.store.connectorProfiles.put({ name: 'made-by-api', kind: 'synthetic', connectorTypes: ['S3'], settings: {} }, 'api', 1);
        const config = resolveConfig(
          {
            'file-roots': dir,
            config: configWith([
              { name: 'crm', kind: 'files', settings: { directory: dir } },
              { name: 'demo', kind: 'synthetic', connectorTypes: ['Zendesk'] },
            ]),
          },
          {},
        );
        await loadConnectorProfiles(t.store, config.connectorProfiles ?? [], clock);
        const app = await buildApp({ store: t.store, clock });
        try {
          const res = await app.inject({ method: 'GET', url: '/_profileflow/connector-profiles' });
          assert.equal(res.statusCode, 200);
          const listed = (res.json() as { connectorProfiles: Record<string, unknown>[] }).connectorProfiles;
          assert.deepEqual(
            listed.map((p) => [p.name, p.kind, p.source]),
            [
              ['crm', 'files', 'config'],
              ['demo', 'synthetic', 'config'],
              ['made-by-api', 'synthetic', 'api'],
            ],
            'the file replaces a profile of the same name and leaves the others alone',
          );
          assert.equal(listed[1].updatedAt, '2026-01-01T00:00:00.000Z');
        } finally {
          await app.close();
        }
      } finally {
        await t.dispose();
      }
    });
  }
});

describe('the config-file examples of the README and the docs', () => {
  // Every ```json block whose members are all config-file members is a config file a reader may copy:
  // each must load under the default policy as printed. Only the examples' folders (`/srv/exports`,
  // `./data`) are made real, since the policy refuses a file root that does not exist.
  const exampleRoot = join(dir, 'srv-exports');
  mkdirSync(exampleRoot);
  const documents = ['README.md', 'docs/connectors.md', 'docs/configuration.md'];
  const examples = documents.flatMap((document) => {
    const text = readFileSync(fileURLToPath(new URL(`../../${document}`, import.meta.url)), 'utf8');
    return [...text.matchAll(/```json\n([\s\S]*?)\n```/g)].flatMap((m) => {
      const line = text.slice(0, m.index).split('\n').length + 1;
      let parsed: unknown;
      try {
        parsed = JSON.parse(m[1]);
      } catch {
        return [];
      }
      const isConfig = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.keys(parsed).every((k) => FILE_KEYS.includes(k));
      return isConfig ? [{ where: `${document}:${line}`, text: m[1] }] : [];
    });
  });

  test('there are such examples in each document that shows a config file', () => {
    assert.ok(examples.some((e) => e.where.startsWith('README.md')), 'the README shows a config file');
    assert.ok(examples.some((e) => e.where.startsWith('docs/connectors.md')), 'docs/connectors.md shows a config file');
    assert.ok(examples.filter((e) => e.where.startsWith('docs/configuration.md')).length >= 3, 'docs/configuration.md shows config files');
  });

  for (const example of examples) {
    test(`${example.where} loads as it is printed`, () => {
      const path = join(dir, `example-${example.where.replace(/[^a-z0-9]/gi, '-')}.json`);
      writeFileSync(path, example.text.replaceAll('/srv/exports', exampleRoot).replaceAll('"./data"', JSON.stringify(exampleRoot)));
      assert.doesNotThrow(() => resolveConfig({ config: path }, {}), example.where);
    });
  }
});
