import { type ChildProcess, spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The built CLI, the file `npm install -g` links as `profileflow` (the test run comes after `npm run build`). */
export const CLI = fileURLToPath(new URL('../../dist/bundle/profileflow.js', import.meta.url));
export const cliBuilt = existsSync(CLI);

/** `profileflow <version> listening on <url> (backend: <store>)`, later facts about the process after a `;`. */
export const BANNER =
  /^profileflow (?<version>\S+) listening on (?<url>http:\/\/127\.0\.0\.1:(?<port>\d+)) \(backend: (?<backend>(?:sqlite|postgres) \([^)]*\))(?:; [^)]*)?\)$/m;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `profileflow …` process whose output is collected as it comes. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private listeners = new Set<() => void>();

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    // The caller's own PROFILEFLOW_* settings would change what is under test; only `env` speaks.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PROFILEFLOW_')));
    this.child = spawn(process.execPath, [CLI, ...args], {
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        // Let the pipes drain before reporting, so the last lines are in stdout/stderr.
        setImmediate(() => {
          resolve({ code, signal });
          this.notify();
        });
      });
    });
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  /** Resolves with the match once stdout matches, or rejects at the deadline or when the process ends first. */
  waitForOutput(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      let ended = false;
      const check = () => {
        const m = this.stdout.match(pattern);
        if (m) return done(() => resolve(m));
        if (ended) done(() => reject(new Error(`process ended before printing ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      void this.exited.then(() => {
        ended = true;
        check();
      });
      this.listeners.add(check);
      check();
    });
  }

  /** The exit, or a failure (after killing the process) when it does not come before the deadline. */
  async waitForExit(timeoutMs = 20_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`the process did not exit within ${timeoutMs} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the process if it still runs (cleanup after a failed test). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Runs a short CLI command to its end. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Exit & { stdout: string; stderr: string }> {
  const p = new CliProcess(args, env);
  const exit = await p.waitForExit();
  return { ...exit, stdout: p.stdout, stderr: p.stderr };
}

/** `profileflow serve` on a free port, resolved once its banner is printed. */
export async function startServe(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ proc: CliProcess; url: string; version: string; backend: string; banner: string }> {
  const proc = new CliProcess(['serve', '--port', '0', ...args], env);
  try {
    const m = await proc.waitForOutput(BANNER);
    return { proc, url: m.groups!.url, version: m.groups!.version, backend: m.groups!.backend, banner: m[0] };
  } catch (err) {
    await proc.kill();
    throw err;
  }
}

/** A long-running `profileflow serve|worker` started by `startService`. */
export interface ServiceProcess {
  proc: ChildProcess;
  /** The endpoint from the start banner (serve only). */
  url: string | undefined;
  /** Everything the process printed so far, stdout then stderr. */
  output(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the built CLI as a user would (`profileflow serve …` / `worker …`) and waits, with a
 * deadline, for its start banner.
 */
export async function startService(args: string[], env: NodeJS.ProcessEnv = {}, deadlineMs = 20_000): Promise<ServiceProcess> {
  if (!cliBuilt) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does).`);
  const cli = new CliProcess(args, env);
  let banner: RegExpMatchArray;
  try {
    banner = await cli.waitForOutput(/listening on (http:\/\/\S+)|worker \S+ running/, deadlineMs);
  } catch (err) {
    await cli.kill();
    throw err;
  }
  return {
    proc: cli.child,
    url: banner[1],
    output: () => cli.stdout + cli.stderr,
    stop: async (signal = 'SIGTERM') => {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill(signal);
      return (await cli.exited).code;
    },
  };
}


/** The engine owner id a `profileflow worker` prints in its start banner: what it writes as a step's lease owner. */
export function workerOwner(p: ServiceProcess): string {
  const m = /worker (\S+) running/.exec(p.output());
  if (!m) throw new Error(`no worker banner in the output:\n${p.output()}`);
  return m[1];
}

/**
 * For a describe block that spawns `profileflow serve` as a user would: temporary folders and started
 * services, all removed and stopped after the block. Call it at the top of the block.
 */
export function serveSandbox(prefix: string): {
  tempDir(): string;
  serve(args: string[], env?: NodeJS.ProcessEnv): ReturnType<typeof startServe>;
} {
  before(() => assert.ok(cliBuilt, 'dist/bundle/profileflow.js is missing: run `npm run build` before the e2e tests'));
  const dirs: string[] = [];
  const running: CliProcess[] = [];
  after(async () => {
    for (const p of running) await p.kill();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return {
    tempDir: () => {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    serve: async (args, env = {}) => {
      const started = await startServe(args, env);
      running.push(started.proc);
      return started;
    },
  };
}

/**
 * One `profileflow serve` for the enclosing describe block, on a fresh data folder, stopped and removed
 * after it: `server()` is the running service inside the block's tests.
 */
export function serveForSuite(prefix: string, args: string[] = []): () => { proc: CliProcess; url: string } {
  let server: { proc: CliProcess; url: string } | undefined;
  let dataDir: string | undefined;
  before(async () => {
    assert.ok(cliBuilt, 'dist/bundle/profileflow.js is missing: run `npm run build` before the e2e tests');
    dataDir = mkdtempSync(join(tmpdir(), prefix));
    server = await startServe(['--data-dir', dataDir, ...args]);
  });
  after(async () => {
    if (server) {
      server.proc.child.kill('SIGTERM');
      await server.proc.waitForExit();
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return () => {
    if (!server) throw new Error('the suite service is not running');
    return server;
  };
}
