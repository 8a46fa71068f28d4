#!/usr/bin/env node
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from '../server/app.js';
import { buildWorkerApp } from '../server/worker-app.js';
import { VERSION } from '../server/version.js';
import { type Clock, ManualClock, systemClock } from '../engine/clock.js';
import { Engine, type EngineOptions } from '../engine/engine.js';
import { describeStore, migrateStore, openStore, sqliteFileOf, type StoreConfig } from '../store/open-store.js';
import { lockDataDir, quickCheck, StartRefused } from '../store/sqlite-guard.js';
import { StorageFault } from '../store/storage-condition.js';
import type { Store } from '../store/types.js';
import type { KyselyStore } from '../store/kysely-store.js';
import { ConfigError, DEFAULTS, FILE_KEYS, resolveConfig, type ServiceConfig, SETTINGS, storeConfigOf } from './config.js';
import { loadConnectorProfiles } from './connector-profiles.js';
import { WebhookDispatcher } from '../engine/webhooks.js';
import type { AuthSettings } from '../auth/caller.js';
import { CredentialsError, loadCredentials, mergeCredentials } from '../auth/credentials.js';
import { type BrowserPolicy, hostNamesFor } from '../server/browser-guard.js';
import type { ServerLimits } from '../server/server-limits.js';
import { DEFAULT_THROTTLE_BURST, DEFAULT_THROTTLE_RATE, type ThrottleOptions } from '../server/throttle.js';
import { applyV8Flags } from './runtime-flags.js';

const HELP = `profileflow ${VERSION}: Amazon Connect Customer Profiles integration workflows, on your machine.

Usage:
  profileflow serve [options]     run the service (AWS restJson1 API + /_profileflow/ admin routes)
  profileflow worker [options]    run workflow steps only (PostgreSQL; add as many as you like)
  profileflow migrate [options]   apply pending database migrations and exit
  profileflow doctor [options]    check the database (SQLite: PRAGMA integrity_check; PostgreSQL:
                                  connection, migrations, sanity); exit 0 when healthy, 1 otherwise
  profileflow workflows|domains|flows|connector-profiles … | reset | ids | faults | clock | advance
                                  talk to a running service (add --help to any of them)
  profileflow --help | --version

Options (flag, environment variable, default):
${SETTINGS.map((s) => `  --${s.flag.padEnd(14)} ${s.env.padEnd(26)} ${s.help}${defaultOf(s.key)}`).join('\n')}
  --config FILE       PROFILEFLOW_CONFIG         JSON file with any of: ${FILE_KEYS.join(', ')}; connectorPolicy takes fileRoots, allowHosts, allowPrivateAddresses, secretEnvPrefix; engine takes leaseMs, pollIntervalMs, pageSize, maxRecordsPerStep, minWindowMs, retry

Precedence: flag, then environment variable, then config file, then default.
Without --database-url the service keeps its state in SQLite under --data-dir.

Examples:
  profileflow serve
  profileflow serve --port 4599 --database-url postgres://postgres@127.0.0.1:5432/profileflow
  aws customer-profiles list-domains --endpoint-url http://127.0.0.1:4599
`;

function defaultOf(key: string): string {
  const value = (DEFAULTS as unknown as Record<string, unknown>)[key];
  return value === undefined ? '' : ` (default ${String(value)})`;
}

/** The commands main.ts runs itself; every other first argument may be a client command. */
const SERVICE_COMMANDS = new Set(['serve', 'worker', 'migrate', 'doctor']);

async function main(argv: string[]): Promise<number> {
  // Client commands (workflows, domains, flows, connector-profiles, reset, faults, clock, advance) take their own flags.
  // Imported only for them: they load the AWS SDK, which serve, worker and migrate never use and which
  // cost start-up about a third of its time (bench/startup.ts).
  if (!SERVICE_COMMANDS.has(argv[0])) {
    // The SDK warns on every Node below 22 that its releases after January 2027 will need 22. This
    // package pins the SDK it ships with and supports Node 20, so the warning would only be noise on a
    // command's stderr; a user who sets the variable keeps their choice.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const { runClientCommand } = await import('./commands/index.js');
    const client = await runClientCommand(argv);
    if (client !== undefined) return client;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      config: { type: 'string' },
      ...Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: s.kind === 'boolean' ? ('boolean' as const) : ('string' as const) }])),
    },
  });
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = positionals[0];
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!command) {
    // A usage error like any other: exit 2, the usage on stderr.
    process.stderr.write(`profileflow: a command is needed.\n\n${HELP}`);
    return 2;
  }
  const config = resolveConfig(values as Record<string, string | undefined>, process.env);
  if (config.ephemeral) {
    if (command !== 'serve') throw new ConfigError('--ephemeral is for serve: its state lives as long as the process.');
    if (config.databaseUrl) throw new ConfigError('--ephemeral keeps its state in a temporary SQLite folder; it does not combine with --database-url.');
    config.dataDir = mkdtempSync(join(tmpdir(), 'profileflow-ephemeral-'));
    const dir = config.dataDir;
    // Removed on every way out: a drained stop, a refused start, or an exit by error.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const storeConfig = storeConfigOf(config);
  if (command === 'doctor') {
    const { doctor } = await import('./doctor.js');
    return doctor(storeConfig);
  }
  switch (command) {
    case 'migrate': {
      const { store, release } = await openGuardedStore(config, storeConfig, { migrate: false });
      const applied = await migrateStore(storeConfig, store);
      await store.close();
      release();
      process.stdout.write(
        `${describeStore(storeConfig)}: ${applied.length ? `applied ${applied.join(', ')}` : 'already up to date'}\n`,
      );
      return 0;
    }
    case 'serve':
      return serve(config, storeConfig);
    case 'worker':
      return worker(config, storeConfig);
    default:
      process.stderr.write(`profileflow: unknown command '${command}'.\n\n${HELP}`);
      return 2;
  }
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can reach the service. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Auth: an explicit --auth wins; else sigv4 when credentials are configured, off on a loopback address,
 * and on any other address the service refuses to start rather than serve unauthenticated.
 */
function authOf(config: ServiceConfig): AuthSettings & { tenants: number; operators: number } {
  let tenants;
  let operators;
  let credentials;
  try {
    tenants = loadCredentials(config.credentialsFile, process.env.PROFILEFLOW_CREDENTIALS);
    operators = loadCredentials(config.operatorCredentialsFile, process.env.PROFILEFLOW_OPERATOR_CREDENTIALS, 'operator');
    credentials = tenants || operators ? mergeCredentials(tenants, operators) : undefined;
  } catch (err) {
    if (err instanceof CredentialsError) throw new ConfigError(err.message);
    throw err;
  }
  const mode = config.auth ?? (credentials ? 'sigv4' : isLoopback(config.host) ? 'off' : undefined);
  if (mode === undefined) {
    throw new ConfigError(
      `Refusing to listen on ${config.host} without authentication: give credentials (--credentials-file FILE or PROFILEFLOW_CREDENTIALS) to verify SigV4 signatures, or --auth off to accept any caller.`,
    );
  }
  if (mode === 'sigv4' && !credentials) {
    throw new ConfigError('--auth sigv4 needs credentials: --credentials-file FILE or PROFILEFLOW_CREDENTIALS (JSON {"<access key id>": {"secretAccessKey": "…", "accountId": "123456789012"}}).');
  }
  return { mode, credentials, tenants: tenants?.size ?? 0, operators: operators?.size ?? 0 };
}

/** The names the service answers to: its own address (every local one for a wildcard) and the operator's additions. */
function browserOf(config: ServiceConfig): BrowserPolicy {
  for (const origin of config.corsOrigins ?? []) {
    if (!/^https?:\/\/[^/\s]+$/i.test(origin)) throw new ConfigError(`--cors-origins takes origins such as https://app.example.com (scheme and host, no path), got '${origin}'.`);
  }
  return { allowedHosts: [...hostNamesFor(config.host), ...(config.allowedHosts ?? [])], corsOrigins: config.corsOrigins };
}

function limitsOf(config: ServiceConfig): ServerLimits {
  return {
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    maxConnections: config.maxConnections,
    bodyMemoryBytes: config.bodyMemoryMb === undefined ? undefined : config.bodyMemoryMb * 1024 * 1024,
  };
}

function describeAuth(auth: ReturnType<typeof authOf>): string {
  if (auth.mode !== 'sigv4') return 'off';
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `sigv4, ${plural(auth.tenants, 'tenant key')}, ${auth.operators ? plural(auth.operators, 'operator key') : 'no operator key (operator routes refused)'}`;
}

/** Throttling: off on loopback unless a rate is given; elsewhere on with the defaults; rate 0 turns it off. */
function throttleOf(config: ServiceConfig): ThrottleOptions | undefined {
  const rate = config.throttleRate ?? (isLoopback(config.host) ? 0 : DEFAULT_THROTTLE_RATE);
  if (rate === 0) return undefined;
  const burst = config.throttleBurst ?? DEFAULT_THROTTLE_BURST;
  if (burst < 1) throw new ConfigError(`--throttle-burst must be at least 1, got '${burst}'.`);
  return { rate, burst };
}

async function serve(config: ServiceConfig, storeConfig: StoreConfig) {
  applyV8Flags('serve', storeConfig.backend);
  const auth = authOf(config);
  const throttle = throttleOf(config);
  const { store, release } = await openGuardedStore(config, storeConfig, { migrate: true });
  const clock = config.clock === 'manual' ? new ManualClock(Date.now()) : systemClock;
  await loadConnectorProfiles(store, config.connectorProfiles ?? [], clock);
  const engine = createEngine(store, clock, config, config.engineMode);
  const webhooks = new WebhookDispatcher(store, clock, config.webhooks ?? []);
  const operator = {
    webhooks,
    eventsIntervalMs: config.events?.pollIntervalMs,
    afterReset: () => loadConnectorProfiles(store, config.connectorProfiles ?? [], clock),
  };
  // Step outcomes and engine errors are logged by the app (JSON, with workflowId and stepNo).
  const app = await buildApp({ store, clock, engine, logger: { level: config.logLevel }, auth, throttle, operator, browser: browserOf(config), limits: limitsOf(config), connectorPolicy: config.connectorPolicy });
  logStorageChanges(store, app.log);
  const address = await app.listen({ host: config.host, port: config.port });
  engine.start();
  webhooks.start();
  // The handlers go in before the banner: whoever waits for the banner may signal at once, and a signal
  // with no handler yet would kill the process without draining.
  const stopped = untilSignal(async () => {
    // Stop claiming first so no new step starts, then let in-flight requests finish.
    await engine.stop();
    await webhooks.stop();
    await app.close();
    await store.close();
    release();
  });
  process.stdout.write(
    `profileflow ${VERSION} listening on ${address} (backend: ${describeStore(storeConfig)}; engine: ${config.engineMode}; clock: ${config.clock}; auth: ${describeAuth(auth)}; throttle: ${throttle ? `${throttle.rate}/s, burst ${throttle.burst}` : 'off'})\n`,
  );
  return stopped;
}

/**
 * A process that only runs workflow steps (PostgreSQL: as many as you like beside `serve`). Its step
 * outcomes are JSON log lines like serve's; with --metrics-port it serves its metrics and health.
 */
async function worker(config: ServiceConfig, storeConfig: StoreConfig) {
  if (storeConfig.backend !== 'postgres') {
    throw new ConfigError('profileflow worker needs --database-url: on SQLite, serve runs the engine in its own process.');
  }
  applyV8Flags('worker', storeConfig.backend);
  // Only a listening worker needs auth settings (the same rules as serve's, for the same routes).
  const auth = config.metricsPort !== undefined ? authOf(config) : undefined;
  const store = await openStore(storeConfig, { createDatabase: announceCreated });
  const engine = createEngine(store, systemClock, config, 'auto');
  const app = await buildWorkerApp({ store, engine, logger: { level: config.logLevel }, auth, browser: browserOf(config), limits: limitsOf(config) });
  logStorageChanges(store, app.log);
  const address = config.metricsPort !== undefined ? await app.listen({ host: config.host, port: config.metricsPort }) : undefined;
  engine.start();
  const stopped = untilSignal(async () => {
    await engine.stop();
    await app.close();
    await store.close();
  });
  process.stdout.write(
    `profileflow ${VERSION} worker ${engine.owner} running (backend: ${describeStore(storeConfig)}${address ? `; metrics: ${address}/_profileflow/metrics` : ''})\n`,
  );
  return stopped;
}

function announceCreated(name: string): void {
  process.stderr.write(`profileflow: the database '${name}' did not exist; created it.\n`);
}

/**
 * The store of serve and migrate. On SQLite: the data folder's lock first (one process at a time), then
 * PRAGMA quick_check before anything writes, then the migrations. `release` gives the lock back (an exit
 * gives it back too).
 */
async function openGuardedStore(
  config: ServiceConfig,
  storeConfig: StoreConfig,
  options: { migrate: boolean },
): Promise<{ store: KyselyStore; release: () => void }> {
  if (storeConfig.backend !== 'sqlite') return { store: await openStore(storeConfig, { ...options, createDatabase: announceCreated }), release: () => undefined };
  const lock = lockDataDir(storeConfig.dataDir, (message) => process.stderr.write(`profileflow: ${message}\n`));
  const file = sqliteFileOf(storeConfig);
  let store: KyselyStore;
  try {
    store = await openStore(storeConfig, { migrate: false });
  } catch (err) {
    // A header that is not SQLite's fails the first PRAGMA, before quick_check can run.
    if (/^SQLITE_(NOTADB|CORRUPT)/.test(String((err as { code?: unknown }).code))) {
      throw new StartRefused(`The database ${file} is damaged (${(err as Error).message}); refusing to start. Run profileflow doctor --data-dir ${storeConfig.dataDir} for the full report.`);
    }
    throw err;
  }
  try {
    const check = await quickCheck(store, file, { skip: config.skipIntegrityCheck });
    if (!check.checked) process.stderr.write(`profileflow: integrity check of ${file} ${check.why}\n`);
    if (options.migrate) await migrateStore(storeConfig, store);
  } catch (err) {
    await store.close();
    throw err;
  }
  return { store, release: lock.release };
}

/**
 * One error line when the storage starts refusing writes (the requests and steps that fail meanwhile log
 * their own lines, each naming the same fault), one warning when a write commits again.
 */
function logStorageChanges(store: KyselyStore, log: FastifyBaseLogger): void {
  store.monitor.onChange((condition, detail) => {
    if (condition.status === 'degraded') log.error({ storage: condition }, `storage degraded: ${detail ?? condition.reason}`);
    else log.warn({ storage: condition }, 'storage ok again: a write committed');
  });
}

function createEngine(store: Store, clock: Clock, config: ServiceConfig, mode: ServiceConfig['engineMode']): Engine {
  return new Engine(store, clock, {
    ...(config.engine as Partial<EngineOptions>),
    mode,
    concurrency: config.concurrency,
    pageDelayMs: config.pageDelayMs,
    connectorPolicy: config.connectorPolicy,
  });
}

/** Resolves with exit code 0 once SIGINT or SIGTERM has been handled by `shutdown`. */
function untilSignal(shutdown: () => Promise<void>): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`${signal} received: finishing in-flight work\n`);
      await shutdown();
      resolve(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // StorageFault: a full or read-only disk met while starting (migrations, connector profiles).
    if (err instanceof StartRefused || err instanceof StorageFault) {
      process.stderr.write(`profileflow: ${err.message}\n`);
      process.exit(1);
    }
    const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      const { address, port } = err as { address?: string; port?: number };
      const where = `${address ?? 'the address'}:${port ?? '?'}`;
      const fix =
        code === 'EADDRINUSE'
          ? `${where} is already in use: stop what listens there, or choose another --port (0 picks a free one).`
          : code === 'EACCES'
            ? `this user may not listen on ${where} (ports below 1024 need privileges): choose another --port.`
            : `${where} is not an address of this machine: choose another --host.`;
      process.stderr.write(`profileflow: ${fix}\n`);
      process.exit(1);
    }
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '28P01' || code === '28000') {
      process.stderr.write(
        `profileflow: cannot connect to PostgreSQL (${code}: ${(err as Error).message.split('\n')[0]}): check --database-url, and that the server is running and accepts this user.\n`,
      );
      process.exit(1);
    }
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`profileflow: ${(err as Error).message}\n\n${HELP}`);
      process.exit(2);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`profileflow: ${(err as Error).message}\nRun \`profileflow --help\` for the options.\n`);
      process.exit(2);
    }
    process.stderr.write(`profileflow: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
