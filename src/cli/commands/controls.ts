import { readFileSync } from 'node:fs';
import { admin, atMostOne, commonOf, noMoreArguments, parse, printJson, required, table, UsageError, wholeNumber, write } from './common.js';

export const CONNECTOR_PROFILES_HELP = `Usage:
  profileflow connector-profiles list
  profileflow connector-profiles get    <name>
  profileflow connector-profiles put    <name> --kind s3|salesforce|servicenow|marketo|zendesk|files|synthetic --settings '{…}' [--connector-types Salesforce,S3]
  profileflow connector-profiles put    <name> --file profile.json      (a body {kind, connectorTypes?, settings})
  profileflow connector-profiles delete <name>
<name> may be given as --name instead.
Common: --endpoint-url URL (default http://127.0.0.1:4599) --output table|json
`;

export const CONTROLS_HELP = `Usage (testing controls of a running service):
  profileflow reset                                  empty every table (keeps migrations and the page-token secret)
  profileflow ids --seed S | --random                 reproducible workflow and profile ids from a seed
  profileflow faults list | clear
  profileflow faults set '[{"operation":"GetWorkflow","probability":0.5,"error":"ThrottlingException"}]'
  profileflow clock [--advance-ms N | --set ISO-8601]  show or move the manual clock
  profileflow advance [--pages N | --until-idle]       run pages of due work (--engine-mode manual)
Common: --endpoint-url URL (default http://127.0.0.1:4599) --output table|json
`;

export async function connectorProfilesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    kind: { type: 'string' },
    settings: { type: 'string' },
    'connector-types': { type: 'string' },
    file: { type: 'string' },
    name: { type: 'string' },
  });
  const sub = positionals[0];
  if (values.help) {
    write(CONNECTOR_PROFILES_HELP);
    return 0;
  }
  if (!sub) throw new UsageError('connector-profiles needs a command: list, get, put or delete.');
  if (!['list', 'get', 'put', 'delete'].includes(sub)) throw new UsageError(`Unknown connector-profiles command '${sub}'.`);
  noMoreArguments(positionals, sub === 'list' ? 1 : 2);
  const given = sub === 'list' ? '' : required(values, 'name', { name: '<name>', value: positionals[1] });
  if (sub === 'put') {
    atMostOne(values, ['file', 'kind']);
    if (values.file === undefined && values.kind === undefined) throw new UsageError('put needs --kind and --settings, or --file.');
  }
  const common = commonOf(values);
  const name = () => encodeURIComponent(given);
  const show = (p: Record<string, unknown>) =>
    common.json ? printJson(p) : write(table([{ NAME: p.name, KIND: p.kind, TYPES: (p.connectorTypes as string[]).join(','), SOURCE: p.source, SETTINGS: JSON.stringify(p.settings) }], ['NAME', 'KIND', 'TYPES', 'SOURCE', 'SETTINGS']));
  switch (sub) {
    case 'list': {
      const out = await admin(common, 'GET', 'connector-profiles');
      if (common.json) printJson(out);
      else write(table(out.connectorProfiles.map((p: any) => ({ NAME: p.name, KIND: p.kind, TYPES: p.connectorTypes.join(','), SOURCE: p.source, UPDATED: p.updatedAt })), ['NAME', 'KIND', 'TYPES', 'SOURCE', 'UPDATED']));
      return 0;
    }
    case 'get':
      show(await admin(common, 'GET', `connector-profiles/${name()}`));
      return 0;
    case 'delete':
      await admin(common, 'DELETE', `connector-profiles/${name()}`);
      if (common.json) printJson({ name: given, deleted: true });
      else write(`Deleted connector profile ${given}.\n`);
      return 0;
    case 'put': {
      let body: unknown;
      if (values.file) body = jsonArg(readFileSync(values.file as string, 'utf8'), '--file');
      else {
        body = {
          kind: values.kind,
          settings: values.settings ? jsonArg(values.settings as string, '--settings') : {},
          ...(values['connector-types'] ? { connectorTypes: (values['connector-types'] as string).split(',').map((t) => t.trim()) } : {}),
        };
      }
      show(await admin(common, 'PUT', `connector-profiles/${name()}`, body));
      return 0;
    }
    default:
      throw new UsageError(`Unknown connector-profiles command '${sub}'.`);
  }
}

export async function controlsCommand(command: string, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    seed: { type: 'string' },
    random: { type: 'boolean' },
    'advance-ms': { type: 'string' },
    set: { type: 'string' },
    pages: { type: 'string' },
    'until-idle': { type: 'boolean' },
  });
  if (values.help) {
    write(CONTROLS_HELP);
    return 0;
  }
  // Only `faults` takes arguments (its command, and the rules for `set`).
  noMoreArguments(positionals, command === 'faults' ? (positionals[0] === 'set' ? 2 : 1) : 0);
  atMostOne(values, ['seed', 'random']);
  atMostOne(values, ['advance-ms', 'set']);
  atMostOne(values, ['pages', 'until-idle']);
  const advanceMs = wholeNumber(values, 'advance-ms', 0);
  const pages = wholeNumber(values, 'pages', 1, 1);
  const common = commonOf(values);
  const out = (value: unknown, text: string) => (common.json ? printJson(value) : write(text));
  switch (command) {
    case 'reset': {
      const r = await admin(common, 'POST', 'reset');
      out(r, `Reset: emptied ${r.tables.length} tables.\n`);
      return 0;
    }
    case 'ids': {
      if (values.seed === undefined && !values.random) {
        const r = await admin(common, 'GET', 'ids');
        out(r, `seed: ${r.seed ?? '(none: random ids)'}\n`);
        return 0;
      }
      const r = await admin(common, 'POST', 'ids', { seed: values.random ? null : values.seed });
      out(r, `seed: ${r.seed ?? '(none: random ids)'}\n`);
      return 0;
    }
    case 'faults': {
      const sub = positionals[0] ?? 'list';
      let r;
      if (sub === 'list') r = await admin(common, 'GET', 'faults');
      else if (sub === 'clear') r = await admin(common, 'DELETE', 'faults');
      else if (sub === 'set') {
        if (!positionals[1]) throw new UsageError('faults set needs the rules as JSON.');
        r = await admin(common, 'PUT', 'faults', jsonArg(positionals[1], 'the rules'));
      } else throw new UsageError(`Unknown faults command '${sub}'.`);
      out(r, table(r.rules.map((x: any) => ({ OPERATION: x.operation, PROBABILITY: x.probability, ERROR: typeof x.error === 'object' ? `${x.error.status} ${x.error.code}` : x.error, LATENCY_MS: x.latencyMs })), ['OPERATION', 'PROBABILITY', 'ERROR', 'LATENCY_MS']));
      return 0;
    }
    case 'clock': {
      if (values['advance-ms'] === undefined && values.set === undefined) {
        const r = await admin(common, 'GET', 'engine');
        out({ clock: r.clock, now: r.now }, `${r.now} (${r.clock} clock)\n`);
        return 0;
      }
      const body = advanceMs !== undefined ? { advanceMs } : { set: values.set };
      const r = await admin(common, 'POST', 'clock', body);
      out(r, `${r.now}\n`);
      return 0;
    }
    case 'advance': {
      const body = values['until-idle'] ? { untilIdle: true } : { pages };
      const r = await admin(common, 'POST', 'engine/advance', body);
      out(r, table(r.steps.map((x: any) => ({ WORKFLOW_ID: x.workflowId, STEP: x.stepNo, OUTCOME: x.outcome })), ['WORKFLOW_ID', 'STEP', 'OUTCOME']));
      return 0;
    }
    default:
      throw new UsageError(`Unknown command '${command}'.`);
  }
}

function jsonArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}
