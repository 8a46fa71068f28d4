import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { SETTINGS } from '../../src/cli/config.js';
import pg from 'pg';
import { availableBackends, dropSchema, POSTGRES_URL } from '../helpers/backends.js';
import { runCli, serveSandbox } from '../helpers/cli-process.js';

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

async function httpJson(url: string, method = 'GET', body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
  });
  return { status: res.status, json: await res.json() };
}

describe('profileflow serve, spawned as a user starts it', () => {
  const { tempDir, serve } = serveSandbox('pf-e2e-');

  test('prints its banner with version, address and backend, and answers the health check', async () => {
    const dir = tempDir();
    const { proc, url, version, backend } = await serve(['--data-dir', dir]);
    assert.equal(version, packageVersion);
    assert.equal(backend, `sqlite (${join(dir, 'profileflow.db')})`);
    const health = await httpJson(`${url}/_profileflow/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'ok', version: packageVersion, backend: 'sqlite' });
    proc.child.kill('SIGTERM');
    assert.equal((await proc.waitForExit()).code, 0);
  });

  test('a domain created before a restart is there after it (same data dir)', async () => {
    const dir = tempDir();
    const first = await serve(['--data-dir', dir]);
    const created = await httpJson(`${first.url}/domains/durable-1`, 'POST', { DefaultExpirationDays: 7, Tags: { k: 'v' } });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    first.proc.child.kill('SIGTERM');
    assert.equal((await first.proc.waitForExit()).code, 0);

    const second = await serve(['--data-dir', dir]);
    const got = await httpJson(`${second.url}/domains/durable-1`);
    assert.equal(got.status, 200, JSON.stringify(got.json));
    assert.equal((got.json as { DefaultExpirationDays: number }).DefaultExpirationDays, 7);
    assert.deepEqual((got.json as { Tags: unknown }).Tags, { k: 'v' });
    second.proc.child.kill('SIGTERM');
    assert.equal((await second.proc.waitForExit()).code, 0);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} drains and exits with code 0, saying so`, async () => {
      const { proc } = await serve(['--data-dir', tempDir()]);
      proc.child.kill(signal);
      const exit = await proc.waitForExit();
      assert.deepEqual(exit, { code: 0, signal: null }, proc.stderr);
      assert.match(proc.stdout, new RegExp(`^${signal} received: finishing in-flight`, 'm'));
    });
  }

  test('migrate applies the migrations once, then reports the database already up to date', async () => {
    const dir = tempDir();
    const first = await runCli(['migrate', '--data-dir', dir]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`^sqlite \\(${escape(join(dir, 'profileflow.db'))}\\): applied 001-foundation(, [\\w-]+)*\\n$`));
    const second = await runCli(['migrate', '--data-dir', dir]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, `sqlite (${join(dir, 'profileflow.db')}): already up to date\n`);
  });

  test('--help lists every flag with its environment variable, and exits 0', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    for (const s of SETTINGS) {
      assert.ok(help.stdout.includes(`--${s.flag}`), `--help lacks --${s.flag}`);
      assert.ok(help.stdout.includes(s.env), `--help lacks ${s.env}`);
    }
    for (const flag of ['--config', '--help', '--version', 'serve', 'migrate']) assert.ok(help.stdout.includes(flag), `--help lacks ${flag}`);
  });

  test('--version prints the version', async () => {
    const v = await runCli(['--version']);
    assert.equal(v.code, 0);
    assert.equal(v.stdout, `${packageVersion}\n`);
  });

  test('an invalid --port exits 2 with a message naming the flag and the value', async () => {
    const bad = await runCli(['serve', '--port', 'abc', '--data-dir', tempDir()]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--port/);
    assert.match(bad.stderr, /'abc'/);
    assert.ok(!bad.stderr.includes('    at '), `no stack trace for a usage error: ${bad.stderr}`);
    assert.doesNotMatch(bad.stdout, /listening/);
  });

  test('an unknown flag exits 2 with a message', async () => {
    const bad = await runCli(['serve', '--prot', '1']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--prot/);
  });

  test('--ephemeral keeps its state in a temporary folder that is gone when the process stops', async () => {
    const { proc, url, backend } = await serve(['--ephemeral']);
    const file = /^sqlite \((.+)\)$/.exec(backend)?.[1];
    assert.ok(file && file.includes('profileflow-ephemeral-') && existsSync(file), backend);
    const created = await httpJson(`${url}/domains/passing`, 'POST', { DefaultExpirationDays: 1 });
    assert.equal(created.status, 200);
    proc.child.kill('SIGTERM');
    assert.equal((await proc.waitForExit()).code, 0);
    assert.equal(existsSync(dirname(file)), false, 'the folder is removed');
    const refused = await runCli(['migrate', '--ephemeral']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--ephemeral is for serve/);
  });

  test('a port in use, a refused PostgreSQL and an unreachable service each give one line with the fix, exit 1', async () => {
    const { url } = await serve(['--data-dir', tempDir()]);
    const port = new URL(url).port;
    const taken = await runCli(['serve', '--port', port, '--data-dir', tempDir()]);
    assert.equal(taken.code, 1);
    assert.equal(taken.stderr, `profileflow: 127.0.0.1:${port} is already in use: stop what listens there, or choose another --port (0 picks a free one).\n`);
    const refused = await runCli(['migrate', '--database-url', 'postgres://postgres@127.0.0.1:1/none']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^profileflow: cannot connect to PostgreSQL \(ECONNREFUSED[^\n]*check --database-url[^\n]*\n$/);
    const client = await runCli(['domains', 'list', '--endpoint-url', 'http://127.0.0.1:1']);
    assert.equal(client.code, 1);
    assert.match(client.stderr, /^profileflow: cannot reach the service \(ECONNREFUSED\): is `profileflow serve` running there\?[^\n]*\n$/);
  });

  test('a PostgreSQL database that does not exist is created, saying so', async (t) => {
    if (!(await availableBackends()).includes('postgres')) {
      process.stdout.write('# notice: PostgreSQL does not answer; the database-creation case is skipped\n');
      t.skip('PostgreSQL is not available');
      return;
    }
    const name = `pf_e2e_db_${randomBytes(4).toString('hex')}`;
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${name}`;
    try {
      const first = await runCli(['migrate', '--database-url', url.toString()]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stderr, `profileflow: the database '${name}' did not exist; created it.\n`);
      assert.match(first.stdout, /applied 001-foundation/);
      const again = await runCli(['migrate', '--database-url', url.toString()]);
      assert.equal(again.stderr, '');
      assert.match(again.stdout, /already up to date/);
    } finally {
      await dropDatabase(name);
    }
  });

  test('--database-url postgres://… serves from PostgreSQL', async (t) => {
    if (!(await availableBackends()).includes('postgres')) {
      process.stdout.write('# notice: PostgreSQL does not answer; the serve-on-PostgreSQL case is skipped\n');
      t.skip('PostgreSQL is not available');
      return;
    }
    const schema = `pf_e2e_${randomBytes(4).toString('hex')}`;
    const databaseUrl = `${POSTGRES_URL}?schema=${schema}`;
    try {
      const { proc, url, backend } = await serve(['--database-url', databaseUrl]);
      assert.match(backend, /^postgres \(/);
      assert.ok(backend.includes(schema), backend);
      assert.equal(((await httpJson(`${url}/_profileflow/health`)).json as { backend: string }).backend, 'postgres');
      const created = await httpJson(`${url}/domains/on-postgres`, 'POST', { DefaultExpirationDays: 3 });
      assert.equal(created.status, 200, JSON.stringify(created.json));
      proc.child.kill('SIGTERM');
      assert.equal((await proc.waitForExit()).code, 0);

      // The data is in PostgreSQL: a restart on the same schema sees it.
      const again = await serve(['--database-url', databaseUrl]);
      assert.equal((await httpJson(`${again.url}/domains/on-postgres`)).status, 200);
      again.proc.child.kill('SIGTERM');
      assert.equal((await again.proc.waitForExit()).code, 0);
    } finally {
      await dropSchema(schema);
    }
  });
});

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
