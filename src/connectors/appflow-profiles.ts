/**
 * How a connector profile created through AppFlow (connectorType, connectorProfileProperties,
 * connectorProfileCredentials) becomes the settings of the source kind that reads it. Only the kinds
 * profileflow reads are accepted; each is then checked as an operator's profile is (the kind's own
 * rules, then the operator's policy: hosts, private addresses, secret prefixes).
 */
import { isJsonObject } from '../domain/json-object.js';
import type {
  ConnectorProfileCredentials,
  ConnectorProfileProperties,
  ConnectorType,
  SalesforceConnectorProfileCredentials,
  ServiceNowConnectorProfileCredentials,
} from '../api/appflow/shapes.generated.js';
import type { SourceConnectorType } from '../api/shapes.generated.js';
import { invalid } from '../domain/problem.js';
import { connectorFor } from './index.js';
import { type ConnectorPolicy, DEFAULT_CONNECTOR_POLICY, policyProblems } from './policy.js';

/** The members of connectorProfileProperties and connectorProfileCredentials profileflow reads. */
type ProfileMember = 'Salesforce' | 'ServiceNow' | 'Marketo' | 'Zendesk';

/** AppFlow's ConnectorType values profileflow reads through a connector profile, with their kind. */
const APPFLOW_PROFILE_KINDS: Partial<Record<ConnectorType, { kind: string; sourceType: SourceConnectorType; member: ProfileMember }>> = {
  Salesforce: { kind: 'salesforce', sourceType: 'Salesforce', member: 'Salesforce' },
  Servicenow: { kind: 'servicenow', sourceType: 'Servicenow', member: 'ServiceNow' },
  Marketo: { kind: 'marketo', sourceType: 'Marketo', member: 'Marketo' },
  Zendesk: { kind: 'zendesk', sourceType: 'Zendesk', member: 'Zendesk' },
};

/** The settings that hold credentials, per kind: kept from the stored profile when an update sends none. */
const CREDENTIAL_SETTINGS: Record<string, string[]> = {
  salesforce: ['auth'],
  servicenow: ['username', 'password', 'clientId', 'clientSecret', 'refreshToken'],
  marketo: ['clientId', 'clientSecret'],
  zendesk: ['oauthToken'],
};

export type MappedProfile =
  | { ok: true; kind: string; connectorTypes: SourceConnectorType[]; settings: Record<string, unknown> }
  | { ok: false; problem: string; authentication?: boolean };

type Obj = Record<string, unknown>;

/**
 * `previous`: the stored settings, whose credentials stay when `credentials` is absent (an update that
 * changes properties only). `env` is read for a Salesforce client-credentials secret (see below).
 */
export function mapAppflowProfile(
  connectorType: ConnectorType,
  properties: ConnectorProfileProperties,
  credentials: ConnectorProfileCredentials | undefined,
  previous: Obj | undefined,
  policy: ConnectorPolicy = DEFAULT_CONNECTOR_POLICY,
  env: NodeJS.ProcessEnv = process.env,
): MappedProfile {
  const entry = APPFLOW_PROFILE_KINDS[connectorType];
  if (!entry) {
    return {
      ok: false,
      problem: `profileflow reads connector profiles of the connector types ${Object.keys(APPFLOW_PROFILE_KINDS).join(', ')}, not ${connectorType}${connectorType === 'S3' ? ' (an S3 source needs no connector profile: its bucket is named in the flow)' : ''}.`,
    };
  }
  const props = properties[entry.member];
  if (!props) {
    return { ok: false, problem: `connectorProfileConfig.connectorProfileProperties.${entry.member} is required for connector type ${connectorType}.` };
  }
  const mapped = credentials && mapCredentials(entry.member, credentials, policy, env);
  if (credentials !== undefined && !mapped) {
    return { ok: false, problem: `connectorProfileConfig.connectorProfileCredentials.${entry.member} is required for connector type ${connectorType}.` };
  }
  let settings: Obj;
  if (mapped) {
    if ('problem' in mapped) return { ok: false, problem: mapped.problem, authentication: mapped.authentication };
    settings = mapped.settings;
  } else if (previous) {
    settings = Object.fromEntries(CREDENTIAL_SETTINGS[entry.kind].filter((k) => previous[k] !== undefined).map((k) => [k, previous[k]]));
  } else {
    return { ok: false, problem: `connectorProfileConfig.connectorProfileCredentials.${entry.member} is required to create a ${connectorType} connector profile.` };
  }
  const instanceUrl = props.instanceUrl;
  if (typeof instanceUrl !== 'string') {
    return { ok: false, problem: `connectorProfileConfig.connectorProfileProperties.${entry.member}.instanceUrl is required: profileflow reads the source there.` };
  }
  const urlSetting = { salesforce: 'instanceUrl', servicenow: 'instanceUrl', marketo: 'endpoint', zendesk: 'baseUrl' }[entry.kind] as string;
  settings = { [urlSetting]: instanceUrl, ...settings };
  const connector = connectorFor(entry.kind);
  const own = connector ? connector.parseSettings(settings) : invalid(`No connector reads kind ${entry.kind}.`);
  const problems = own.ok ? policyProblems(entry.kind, settings, policy) : own.problems;
  if (problems.length) return { ok: false, problem: `The ${connectorType} connector profile is not usable: ${problems.join(' ')}` };
  return { ok: true, kind: entry.kind, connectorTypes: [entry.sourceType], settings };
}

type MappedCredentials = { settings: Obj } | { problem: string; authentication?: boolean };

/** The settings the member's credentials become; undefined when the credentials have no such member. */
function mapCredentials(member: ProfileMember, credentials: ConnectorProfileCredentials, policy: ConnectorPolicy, env: NodeJS.ProcessEnv): MappedCredentials | undefined {
  switch (member) {
    case 'ServiceNow':
      return credentials.ServiceNow && serviceNowCredentials(credentials.ServiceNow);
    case 'Marketo': {
      const c = credentials.Marketo;
      return c && { settings: { clientId: c.clientId, clientSecret: c.clientSecret } };
    }
    case 'Zendesk': {
      const c = credentials.Zendesk;
      if (!c) return undefined;
      // profileflow reads Zendesk with a bearer token; the OAuth client id and secret alone cannot get one without a browser.
      if (typeof c.accessToken !== 'string') {
        return { problem: 'connectorProfileCredentials.Zendesk.accessToken is required: profileflow reads Zendesk with an OAuth access token.' };
      }
      return { settings: { oauthToken: c.accessToken } };
    }
    case 'Salesforce':
      return credentials.Salesforce && salesforceCredentials(credentials.Salesforce, policy, env);
  }
}

function serviceNowCredentials(c: ServiceNowConnectorProfileCredentials): MappedCredentials {
  const oauth = c.oAuth2Credentials;
  if (oauth) return { settings: defined({ clientId: oauth.clientId, clientSecret: oauth.clientSecret, refreshToken: oauth.refreshToken, username: c.username, password: c.password }) };
  return { settings: defined({ username: c.username, password: c.password }) };
}

/**
 * Salesforce's AppFlow credentials name the connected app's client id and secret by a Secrets Manager
 * ARN (clientCredentialsArn). profileflow has no Secrets Manager: the secret's name is read as the name
 * of an environment variable of the profileflow process holding the same JSON ({"clientId", "clientSecret"}),
 * and, like every secret a profile names by variable, it must start with the operator's secret prefix.
 */
function salesforceCredentials(c: SalesforceConnectorProfileCredentials, policy: ConnectorPolicy, env: NodeJS.ProcessEnv): MappedCredentials {
  const arn = c.clientCredentialsArn;
  if (typeof arn !== 'string') {
    return { problem: "connectorProfileCredentials.Salesforce.clientCredentialsArn is required: it names the connected app's client id and secret." };
  }
  const name = /:secret:(.+)$/.exec(arn)?.[1] ?? '';
  if (!name.startsWith(policy.secretEnvPrefix)) {
    return { problem: `The secret named by clientCredentialsArn ('${name.slice(0, 64)}') must start with ${policy.secretEnvPrefix}: profileflow reads it from the environment variable of that name, and the operator's policy allows only those.` };
  }
  const unusable = { problem: `The environment variable ${name} does not hold the JSON {"clientId", "clientSecret"} the connected app signs in with.`, authentication: true };
  let secret: unknown;
  try {
    secret = JSON.parse(env[name] ?? '');
  } catch {
    return unusable;
  }
  if (!isJsonObject(secret) || typeof secret.clientId !== 'string' || typeof secret.clientSecret !== 'string') return unusable;
  const grant = c.oAuth2GrantType ?? (c.refreshToken !== undefined ? 'AUTHORIZATION_CODE' : 'CLIENT_CREDENTIALS');
  if (grant === 'CLIENT_CREDENTIALS') return { settings: { auth: { flow: 'client_credentials', clientId: secret.clientId, clientSecret: secret.clientSecret } } };
  if (grant === 'AUTHORIZATION_CODE' && typeof c.refreshToken === 'string') {
    return { settings: { auth: { flow: 'refresh_token', clientId: secret.clientId, clientSecret: secret.clientSecret, refreshToken: c.refreshToken } } };
  }
  return { problem: `profileflow signs in to Salesforce with the CLIENT_CREDENTIALS grant, or AUTHORIZATION_CODE with a refreshToken; ${String(grant)}${grant === 'AUTHORIZATION_CODE' ? ' without a refreshToken' : ''} is not supported.` };
}

function defined(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
