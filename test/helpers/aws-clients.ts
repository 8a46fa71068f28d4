import { execFile, spawnSync } from 'node:child_process';

/** CI sets this: a missing aws CLI or boto3 then fails the run instead of skipping the checks that use them. */
const CLIENTS_REQUIRED = process.env.PROFILEFLOW_REQUIRE_AWS_CLIENTS === '1';

function answers(command: string, args: string[], what: string): boolean {
  const r = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' } });
  const ok = !r.error && r.status === 0;
  if (!ok && CLIENTS_REQUIRED) {
    throw new Error(`${what} is required (PROFILEFLOW_REQUIRE_AWS_CLIENTS=1) but \`${command} ${args.join(' ')}\` failed: ${r.error?.message ?? r.stderr}`);
  }
  if (!ok) process.stdout.write(`# notice: ${what} is not installed; the checks that use it are skipped\n`);
  return ok;
}

/** The official clients beside the SDK: the `aws` CLI and python3 with boto3 (both on these machines through pip). */
export const hasAwsCli = answers('aws', ['--version'], 'the aws CLI');
export const hasBoto3 = answers('python3', ['-c', 'import boto3'], 'python3 with boto3');
/** pytest beside boto3: examples/pytest runs under it (examples.test.ts). */
export const hasPytest = hasBoto3 && answers('python3', ['-m', 'pytest', '--version'], 'python3 with pytest');

/** How a client command ended: its exit code (null when killed by the timeout) and what it printed. */
export interface ClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an official client (`aws …`, `python3 -c <boto3 script>`) to its end, never rejecting. */
export function runClient(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<ClientRun> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}
