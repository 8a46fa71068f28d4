import { readFileSync } from 'node:fs';

/** One configured credential: the secret that signs, and the account its requests act in. */
export interface Credential {
  secretAccessKey: string;
  accountId: string;
}

/** Access key id → credential. Read-only once loaded. */
export type CredentialTable = ReadonlyMap<string, Credential>;

export class CredentialsError extends Error {}

const ACCESS_KEY_ID = /^[\w+=,.@-]{1,128}$/;
const ACCOUNT_ID = /^\d{12}$/;

/**
 * Reads `{"<access key id>": {"secretAccessKey": "…", "accountId": "123456789012"}, …}`. Every problem is
 * reported at once and no secret value is ever repeated in a message.
 */
export function parseCredentials(value: unknown, origin: string): Map<string, Credential> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CredentialsError(`${origin} must be a JSON object mapping access key ids to {"secretAccessKey", "accountId"}.`);
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
      problems.push(`'${shown}' must be an object {"secretAccessKey", "accountId"}.`);
      continue;
    }
    const { secretAccessKey, accountId } = entry as Record<string, unknown>;
    if (typeof secretAccessKey !== 'string' || secretAccessKey.length === 0) {
      problems.push(`'${shown}'.secretAccessKey must be a non-empty string.`);
    }
    if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) {
      problems.push(`'${shown}'.accountId must be a 12-digit AWS account id (as a string).`);
    }
    if (typeof secretAccessKey === 'string' && secretAccessKey && typeof accountId === 'string' && ACCOUNT_ID.test(accountId)) {
      table.set(keyId, { secretAccessKey, accountId });
    }
  }
  if (problems.length) throw new CredentialsError(`${origin} is not usable: ${problems.join(' ')}`);
  if (table.size === 0) throw new CredentialsError(`${origin} declares no credentials.`);
  return table;
}

/** The credentials file (`--credentials-file`), or else the PROFILEFLOW_CREDENTIALS JSON; undefined when neither is set. */
export function loadCredentials(file: string | undefined, envJson: string | undefined): Map<string, Credential> | undefined {
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CredentialsError(`Cannot read the credentials file ${file}: ${(err as Error).message}`);
    }
    return parseCredentials(parseJson(text, `The credentials file ${file}`), `The credentials file ${file}`);
  }
  if (envJson !== undefined && envJson.trim() !== '') {
    return parseCredentials(parseJson(envJson, 'PROFILEFLOW_CREDENTIALS'), 'PROFILEFLOW_CREDENTIALS');
  }
  return undefined;
}

function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The parser's message can quote the text, which holds secrets: say only where the problem is.
    throw new CredentialsError(`${origin} is not valid JSON.`);
  }
}
