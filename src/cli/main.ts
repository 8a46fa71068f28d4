#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { buildApp } from '../server/app.js';
import { buildWorkerApp } from '../server/worker-app.js';
import { VERSION } from '../server/version.js';
import { type Clock, ManualClock, systemClock } from '../engine/clock.js';
import { Engine, type EngineOptions } from '../engine/engine.js';
import { describeStore, migrateStore, openStore, type StoreConfig } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import { ConfigError, DEFAULTS, resolveConfig, type ServiceConfig, SETTINGS, storeConfigOf } from './config.js';
import { loadConnectorProfiles } from './connector-profiles.js';
import { WebhookDispatcher } from '../engine/webhooks.js';
import type { AuthSettings } from '../auth/caller.js';
import { CredentialsError, loadCredentials } from '../auth/credentials.js';
import { DEFAULT_THROTTLE_BURST, DEFAULT_THROTTLE_RATE, type ThrottleOptions } from '../server/throttle.js';

const HELP = `profileflow ${VERSION}: Amazon Connect Customer Profiles integration workflows, on your machine.

Usage:
  profileflow serve [options]     run the service (AWS restJson1 API + /_profileflow/ admin routes)
  profileflow worker [options]    run workflow steps only (PostgreSQL; add as many as you like)
  profileflow migrate [options]   apply pending database migrations and exit
  profileflow workflows|domains|connector-profiles … | reset | ids | faults | clock | advance
                                  talk to a running service (add --help to any of them)
  profileflow --help | --version

Options (flag, environment variable, default):
${SETTINGS.map((s) => `  --${s.flag.padEnd(14)} ${s.env.padEnd(26)} ${s.help}${defaultOf(s.key)}`).join('\n')}
  --config FILE       PROFILEFLOW_CONFIG         JSON file with any of: ${SETTINGS.filter((s) => !('policy' in s)).map((s) => s.key).join(', ')}, connectorProfiles, connectorPolicy

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
const SERVICE_COMMANDS = new Set(['serve', 'worker', 'migrate']);

async function main(argv: string[]): Promise<number> {
  // Client commands (workflows, domains, connector-profiles, reset, faults, clock, advance) take their own flags.
  // Imported only for them: they load the AWS SDK, which serve, worker and migrate never use and which
  // cost start-up about a third of its time (bench/startup.ts).
  if (!SERVICE_COMMANDS.has(argv[0])) {
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
      ...Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: 'string' as const }])),
    },
  });
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(HELP);
    return values.help ? 0 : 1;
  }
  const config = resolveConfig(values as Record<string, string | undefined>, process.env);
  const storeConfig = storeConfigOf(config);
  switch (command) {
    case 'migrate': {
      const store = await openStore(storeConfig, { migrate: false });
      const applied = await migrateStore(storeConfig, store);
      await store.close();
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
      process.stderr.write(`Unknown command '${command}'.\n\n${HELP}`);
      return 1;
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
function authOf(config: ServiceConfig): AuthSettings {
  let credentials;
  try {
    credentials = loadCredentials(config.credentialsFile, process.env.PROFILEFLOW_CREDENTIALS);
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
  return { mode, credentials };
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
  const auth = authOf(config);
  const throttle = throttleOf(config);
  const store = await openStore(storeConfig);
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
  const app = await buildApp({ store, clock, engine, logger: { level: config.logLevel }, auth, throttle, operator, connectorPolicy: config.connectorPolicy });
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
  });
  process.stdout.write(
    `profileflow ${VERSION} listening on ${address} (backend: ${describeStore(storeConfig)}; engine: ${config.engineMode}; clock: ${config.clock}; auth: ${auth.mode === 'sigv4' ? `sigv4, ${auth.credentials!.size} credential${auth.credentials!.size === 1 ? '' : 's'}` : 'off'}; throttle: ${throttle ? `${throttle.rate}/s, burst ${throttle.burst}` : 'off'})\n`,
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
  // Only a listening worker needs auth settings (the same rules as serve's, for the same routes).
  const auth = config.metricsPort !== undefined ? authOf(config) : undefined;
  const store = await openStore(storeConfig);
  const engine = createEngine(store, systemClock, config, 'auto');
  const app = await buildWorkerApp({ store, engine, logger: { level: config.logLevel }, auth });
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
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`profileflow: ${(err as Error).message}\n`);
      process.exit(2);
    }
    process.stderr.write(`profileflow: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
