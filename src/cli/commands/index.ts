import { connectionFailure, ServiceCallError, UsageError } from './common.js';
import { CONNECTOR_PROFILES_HELP, CONTROLS_HELP, connectorProfilesCommand, controlsCommand } from './controls.js';
import { DOMAINS_HELP, domainsCommand } from './domains.js';
import { FLOWS_HELP, flowsCommand } from './flows.js';
import { WORKFLOWS_HELP, workflowsCommand } from './workflows.js';

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
  let usage = '';
  if (command === 'workflows') [run, usage] = [() => workflowsCommand(rest), WORKFLOWS_HELP];
  else if (command === 'domains') [run, usage] = [() => domainsCommand(rest), DOMAINS_HELP];
  else if (command === 'flows') [run, usage] = [() => flowsCommand(rest), FLOWS_HELP];
  else if (command === 'connector-profiles') [run, usage] = [() => connectorProfilesCommand(rest), CONNECTOR_PROFILES_HELP];
  else if (command !== undefined && CONTROLS.has(command)) [run, usage] = [() => controlsCommand(command, rest), CONTROLS_HELP];
  if (!run) return undefined;
  try {
    return await run();
  } catch (err) {
    if (err instanceof UsageError) {
      // Every usage error: exit 2, the problem, then the command's usage on stderr.
      process.stderr.write(`profileflow: ${err.message}\n\n${usage}`);
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

