import { connectionFailure, ServiceCallError, UsageError } from './common.js';
import { connectorProfilesCommand, controlsCommand } from './controls.js';
import { domainsCommand } from './domains.js';
import { flowsCommand } from './flows.js';
import { workflowsCommand } from './workflows.js';

const CONTROLS = new Set(['reset', 'ids', 'faults', 'clock', 'advance']);

/**
 * The client commands: they talk to a running service and take their own flags. Answers the exit code,
 * or undefined when `argv` is not one of them (serve, worker, migrate are main.ts's).
 * Exit codes: 0 done, 1 the service refused (or a watched workflow failed), 2 a usage error.
 */
export async function runClientCommand(argv: string[]): Promise<number | undefined> {
  const command = argv[0];
  const rest = argv.slice(1);
  let run: (() => Promise<number>) | undefined;
  if (command === 'workflows') run = () => workflowsCommand(rest);
  else if (command === 'domains') run = () => domainsCommand(rest);
  else if (command === 'flows') run = () => flowsCommand(rest);
  else if (command === 'connector-profiles') run = () => connectorProfilesCommand(rest);
  else if (command !== undefined && CONTROLS.has(command)) run = () => controlsCommand(command, rest);
  if (!run) return undefined;
  try {
    return await run();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`profileflow: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ServiceCallError) {
      process.stderr.write(`profileflow: ${err.message}\n`);
      return 1;
    }
    const unreachable = connectionFailure(err);
    if (unreachable) {
      process.stderr.write(
        `profileflow: cannot reach the service (${unreachable}): is \`profileflow serve\` running there? Give its address with --endpoint-url or AWS_ENDPOINT_URL.\n`,
      );
      return 1;
    }
    const e = err as Error & { $metadata?: { httpStatusCode?: number }; code?: string; cause?: Error };
    if (e.$metadata || e.name?.endsWith('Exception')) {
      process.stderr.write(`profileflow: ${e.name}: ${e.message}\n`);
      return 1;
    }
    throw err;
  }
}

