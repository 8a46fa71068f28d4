import { readFileSync } from 'node:fs';

/**
 * One configured credential: the secret that signs, and who signs with it. A tenant key acts in its
 * account through the AWS APIs; an operator key (declared apart, `role: 'operator'`, no account) reaches
 * the service's own routes under /_profileflow/.
 */
export interface Credential {
  secretAccessKey: string;
  /** The tenant's 12-digit account; empty for an operator key. */
  accountId: string;
  /** Absent: a tenant key. */
  role?: 'operator';
}

/** Access key id → credential. Read-only once loaded. */
export type CredentialTable = ReadonlyMap<string, Credential>;

export class CredentialsError extends Error {}

const ACCESS_KEY_ID = /^[\w+=,.@-]{1,128}$/;
const ACCOUNT_ID = /^\d{12}$/;

/**
 * Reads `{"<access key id>": {"secretAccessKey": "…", "accountId": "123456789012"}, …}` (tenant keys), or
 * with `role` 'operator' `{"<access key id>": {"secretAccessKey": "…"}}` (operator keys, which have no
 * account). Every problem is reported at once and no secret value is ever repeated in a message.
 */
export function parseCredentials(value: unknown, origin: string, role: 'tenant' | 'operator' = 'tenant'): Map<string, Credential> {
  const shape = role === 'tenant' ? '{"secretAccessKey", "accountId"}' : '{"secretAccessKey"}';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CredentialsError(`${origin} must be a JSON object mapping access key ids to ${shape}.`);
  }
  const table = new Map<string, Credential>();
  const problems: string[] = [];
  for (const [keyId, entry] of Object.entries(value as Record<string, unknown>)) {
    const shown = keyId.slice(0, 32);
    if (!ACCESS_KEY_ID.test(keyId)) {
      problems.push(`access key id '${shown}' must be 1 to 128 characters of letters, digits and +=,.@_-.`);
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`'${shown}' must be an object ${shape}.`);
      continue;
    }
    const { secretAccessKey, accountId, ...rest } = entry as Record<string, unknown>;
    let usable = true;
    if (typeof secretAccessKey !== 'string' || secretAccessKey.length === 0) {
      problems.push(`'${shown}'.secretAccessKey must be a non-empty string.`);
      usable = false;
    }
    if (role === 'tenant' && (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId))) {
      problems.push(`'${shown}'.accountId must be a 12-digit AWS account id (as a string).`);
      usable = false;
    }
    // An operator key acts in no account: an accountId there is a mix-up of the two files, said as such.
    if (role === 'operator' && accountId !== undefined) {
      problems.push(`'${shown}' is an operator key and takes no accountId; tenant keys belong in the credentials file.`);
      usable = false;
    }
    for (const member of Object.keys(rest)) problems.push(`'${shown}'.${member.slice(0, 32)} is not a credential member ${shape}.`);
    if (usable && Object.keys(rest).length === 0) {
      table.set(keyId, role === 'tenant' ? { secretAccessKey: secretAccessKey as string, accountId: accountId as string } : { secretAccessKey: secretAccessKey as string, accountId: '', role: 'operator' });
    }
  }
  if (problems.length) throw new CredentialsError(`${origin} is not usable: ${problems.join(' ')}`);
  if (table.size === 0) throw new CredentialsError(`${origin} declares no credentials.`);
  return table;
}

/** A credentials JSON from a file, or else from an environment variable's value; undefined when neither is set. */
export function loadCredentials(
  file: string | undefined,
  envJson: string | undefined,
  role: 'tenant' | 'operator' = 'tenant',
  envName = role === 'tenant' ? 'PROFILEFLOW_CREDENTIALS' : 'PROFILEFLOW_OPERATOR_CREDENTIALS',
): Map<string, Credential> | undefined {
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CredentialsError(`Cannot read the ${role === 'tenant' ? 'credentials' : 'operator credentials'} file ${file}: ${(err as Error).message}`);
    }
    const origin = `The ${role === 'tenant' ? 'credentials' : 'operator credentials'} file ${file}`;
    return parseCredentials(parseJson(text, origin), origin, role);
  }
  if (envJson !== undefined && envJson.trim() !== '') {
    return parseCredentials(parseJson(envJson, envName), envName, role);
  }
  return undefined;
}

/**
 * One table for verification: tenant and operator keys. A key id declared as both would make its
 * requests' role depend on which file was read last, so it is refused.
 */
export function mergeCredentials(tenants: CredentialTable | undefined, operators: CredentialTable | undefined): Map<string, Credential> {
  const merged = new Map(tenants ?? []);
  for (const [keyId, credential] of operators ?? []) {
    if (merged.has(keyId)) throw new CredentialsError(`The access key id '${keyId.slice(0, 32)}' is declared both as a tenant key and as an operator key; give the operator a key of its own.`);
    merged.set(keyId, credential);
  }
  return merged;
}

function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The parser's message can quote the text, which holds secrets: say only where the problem is.
    throw new CredentialsError(`${origin} is not valid JSON.`);
  }
}
