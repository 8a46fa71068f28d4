import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, DEFAULTS, resolveConfig, storeConfigOf } from '../../src/cli/config.js';

const dir = mkdtempSync(join(tmpdir(), 'pf-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CORE = ['host', 'port', 'dataDir', 'databaseUrl', 'logLevel'] as const;
/** The settings this suite is about; later issues add others, each with its own tests. */
function core(config: object): Record<string, unknown> {
  const c = config as Record<string, unknown>;
  return Object.fromEntries(CORE.filter((k) => c[k] !== undefined).map((k) => [k, c[k]]));
}

function configFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('configuration', () => {
  test('with nothing given, every setting has its default', () => {
    assert.deepEqual(resolveConfig({}, {}), DEFAULTS);
    assert.deepEqual(core(DEFAULTS), { host: '127.0.0.1', port: 4599, dataDir: './.profileflow', logLevel: 'warn' });
  });

  test('precedence: flag, then environment variable, then config file, then default', () => {
    const file = configFile('all.json', JSON.stringify({ host: '10.0.0.3', port: 3000, dataDir: '/from/file', logLevel: 'error' }));
    const env = { PROFILEFLOW_HOST: '10.0.0.2', PROFILEFLOW_PORT: '2000' };
    const flags = { host: '10.0.0.1', config: file };
    assert.deepEqual(core(resolveConfig(flags, env)), {
      host: '10.0.0.1', // flag beats env and file
      port: 2000, // env beats file
      dataDir: '/from/file', // file beats default
      logLevel: 'error',
    });
    assert.deepEqual(core(resolveConfig({ config: file }, {})), {
      host: '10.0.0.3',
      port: 3000,
      dataDir: '/from/file',
      logLevel: 'error',
    });
  });

  test('the config file may also be named by PROFILEFLOW_CONFIG, and the flag names win over it', () => {
    const a = configFile('a.json', JSON.stringify({ port: 1111 }));
    const b = configFile('b.json', JSON.stringify({ port: 2222 }));
    assert.equal(resolveConfig({}, { PROFILEFLOW_CONFIG: a }).port, 1111);
    assert.equal(resolveConfig({ config: b }, { PROFILEFLOW_CONFIG: a }).port, 2222);
  });

  test('every setting has a flag and an environment variable', () => {
    const flags = { host: '0.0.0.0', port: '0', 'data-dir': '/d', 'database-url': 'postgres://u@h/db', 'log-level': 'debug' };
    assert.deepEqual(core(resolveConfig(flags, {})), { host: '0.0.0.0', port: 0, dataDir: '/d', databaseUrl: 'postgres://u@h/db', logLevel: 'debug' });
    const env = {
      PROFILEFLOW_HOST: '0.0.0.0',
      PROFILEFLOW_PORT: '65535',
      PROFILEFLOW_DATA_DIR: '/e',
      PROFILEFLOW_DATABASE_URL: 'postgresql://u@h/db',
      PROFILEFLOW_LOG_LEVEL: 'info',
    };
    assert.deepEqual(core(resolveConfig({}, env)), { host: '0.0.0.0', port: 65535, dataDir: '/e', databaseUrl: 'postgresql://u@h/db', logLevel: 'info' });
  });

  test('an empty value does not count as given', () => {
    assert.equal(resolveConfig({ port: '' }, { PROFILEFLOW_PORT: '1234' }).port, 1234);
    const file = configFile('datadir.json', JSON.stringify({ dataDir: '/from/file' }));
    assert.equal(resolveConfig({ config: file }, { PROFILEFLOW_DATA_DIR: '' }).dataDir, '/from/file');
  });

  test('a port that is not a whole number from 0 to 65535 is a ConfigError naming the value', () => {
    for (const bad of ['abc', '-1', '65536', '1.5', '0x50', '1e3', ' 80', '80 ']) {
      assert.throws(
        () => resolveConfig({ port: bad }, {}),
        (err: unknown) => err instanceof ConfigError && err.message.includes('--port') && err.message.includes(`'${bad}'`),
        bad,
      );
    }
    assert.throws(() => resolveConfig({}, { PROFILEFLOW_PORT: 'eighty' }), ConfigError);
    const file = configFile('badport.json', JSON.stringify({ port: 'x' }));
    assert.throws(() => resolveConfig({ config: file }, {}), ConfigError);
  });

  test('a config file that is missing, not JSON, or not a JSON object is a ConfigError naming the file', () => {
    const notJson = configFile('bad.json', '{ port: 1 ');
    const array = configFile('array.json', '[1, 2]');
    for (const path of [notJson, array, join(dir, 'missing.json')]) {
      assert.throws(
        () => resolveConfig({ config: path }, {}),
        (err: unknown) => err instanceof ConfigError && err.message.includes(path),
        path,
      );
    }
  });

  test('the store is SQLite under the data dir unless a postgres:// URL is given', () => {
    assert.deepEqual(storeConfigOf({ ...DEFAULTS, dataDir: '/var/pf' }), { backend: 'sqlite', dataDir: '/var/pf' });
    assert.deepEqual(storeConfigOf({ ...DEFAULTS, databaseUrl: 'postgres://u@h:5432/db' }), {
      backend: 'postgres',
      databaseUrl: 'postgres://u@h:5432/db',
    });
    assert.equal(storeConfigOf({ ...DEFAULTS, databaseUrl: 'postgresql://u@h/db' }).backend, 'postgres');
  });

  test('a database URL of another kind is a ConfigError that does not print the password', () => {
    assert.throws(
      () => storeConfigOf({ ...DEFAULTS, databaseUrl: 'mysql://user:hunter2@db.example:3306/pf' }),
      (err: unknown) => err instanceof ConfigError && !err.message.includes('hunter2') && err.message.includes('postgres://'),
    );
  });
});

describe('config file members', () => {
  test('an unknown member is refused with its name and the nearest known one; in engine too', () => {
    const typo = configFile('typo.json', JSON.stringify({ throttleRates: 5, port: 4600 }));
    assert.throws(() => resolveConfig({ config: typo }, {}), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /unknown member 'throttleRates' \(did you mean 'throttleRate'\?\)/);
      return true;
    });
    const far = configFile('far.json', JSON.stringify({ zzzzzzzz: 1 }));
    assert.throws(() => resolveConfig({ config: far }, {}), /unknown member 'zzzzzzzz'; the members are /);
    const engine = configFile('engine.json', JSON.stringify({ engine: { pagesize: 10 } }));
    assert.throws(() => resolveConfig({ config: engine }, {}), /engine object has unknown member 'pagesize' \(did you mean 'pageSize'\?\)/);
    const fine = configFile('fine.json', JSON.stringify({ port: 4600, engine: { pageSize: 10 }, events: { pollIntervalMs: 100 } }));
    assert.equal(resolveConfig({ config: fine }, {}).port, 4600);
  });
});
