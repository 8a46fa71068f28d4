import { readFileSync } from 'node:fs';
import { admin, commonOf, parse, printJson, table, UsageError, write } from './common.js';

export const CONNECTOR_PROFILES_HELP = `Usage:
  profileflow connector-profiles list
  profileflow connector-profiles get    <name>
  profileflow connector-profiles put    <name> --kind s3|salesforce|servicenow|marketo|zendesk|files|synthetic --settings '{…}' [--connector-types Salesforce,S3]
  profileflow connector-profiles put    <name> --file profile.json      (a body {kind, connectorTypes?, settings})
  profileflow connector-profiles delete <name>
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
  });
  const sub = positionals[0];
  if (values.help || !sub) {
    write(CONNECTOR_PROFILES_HELP);
    return values.help ? 0 : 2;
  }
  const common = commonOf(values);
  const name = () => {
    if (!positionals[1]) throw new UsageError('The connector profile name is required.');
    return encodeURIComponent(positionals[1]);
  };
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
      if (common.json) printJson({ name: positionals[1], deleted: true });
      else write(`Deleted connector profile ${positionals[1]}.\n`);
      return 0;
    case 'put': {
      let body: unknown;
      if (values.file) body = jsonArg(readFileSync(values.file as string, 'utf8'), '--file');
      else {
        if (!values.kind) throw new UsageError('put needs --kind and --settings, or --file.');
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
      throw new UsageError(`Unknown connector-profiles command '${sub}'.\n\n${CONNECTOR_PROFILES_HELP}`);
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
      } else throw new UsageError(`Unknown faults command '${sub}'.\n\n${CONTROLS_HELP}`);
      out(r, table(r.rules.map((x: any) => ({ OPERATION: x.operation, PROBABILITY: x.probability, ERROR: typeof x.error === 'object' ? `${x.error.status} ${x.error.code}` : x.error, LATENCY_MS: x.latencyMs })), ['OPERATION', 'PROBABILITY', 'ERROR', 'LATENCY_MS']));
      return 0;
    }
    case 'clock': {
      if (values['advance-ms'] === undefined && values.set === undefined) {
        const r = await admin(common, 'GET', 'engine');
        out({ clock: r.clock, now: r.now }, `${r.now} (${r.clock} clock)\n`);
        return 0;
      }
      const body = values['advance-ms'] !== undefined ? { advanceMs: Number(values['advance-ms']) } : { set: values.set };
      const r = await admin(common, 'POST', 'clock', body);
      out(r, `${r.now}\n`);
      return 0;
    }
    case 'advance': {
      const body = values['until-idle'] ? { untilIdle: true } : { pages: Number(values.pages ?? 1) };
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
