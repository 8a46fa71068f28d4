import type { CredentialTable } from './credentials.js';
import { type SignedRequest, verifySigV4 } from './sigv4.js';

/**
 * Who is calling, and where: every stored resource is keyed by (accountId, region). `role` says what the
 * caller may reach: a tenant its own account through the AWS APIs (and its own account's testing
 * controls), an operator the service's own routes, and with authentication off the developer at the
 * keyboard is both.
 */
export interface Caller {
  accountId: string;
  region: string;
  accessKeyId: string | undefined;
  role: 'tenant' | 'operator' | 'developer';
}

export const DEFAULT_ACCOUNT_ID = '000000000000';
export const DEFAULT_REGION = 'us-east-1';

const CREDENTIAL_IN_HEADER = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/**
 * Reads the caller from the SigV4 credential scope (Authorization header, or the presigned
 * X-Amz-Credential query parameter). With authentication off (no credentials configured), the account
 * is the access key id when that is 12 digits (the LocalStack convention), else 000000000000; the
 * region is the scope's region. Signatures are not verified here.
 */
export function resolveCaller(
  authorization: string | undefined,
  query: URLSearchParams,
  defaultRegion = DEFAULT_REGION,
): Caller {
  let accessKeyId: string | undefined;
  let region: string | undefined;
  const header = authorization ? CREDENTIAL_IN_HEADER.exec(authorization) : null;
  if (header) {
    accessKeyId = header[1];
    region = header[3];
  } else {
    const scope = query.get('X-Amz-Credential');
    const parts = scope?.split('/');
    if (parts && parts.length === 5) {
      accessKeyId = parts[0];
      region = parts[2];
    }
  }
  return {
    accessKeyId,
    accountId: accessKeyId && /^\d{12}$/.test(accessKeyId) ? accessKeyId : DEFAULT_ACCOUNT_ID,
    region: region && /^[a-z0-9-]{1,32}$/.test(region) ? region : defaultRegion,
    role: 'developer',
  };
}

/** How requests are authenticated: `off` trusts the credential scope as sent; `sigv4` verifies it. */
export interface AuthSettings {
  mode: 'off' | 'sigv4';
  /** Required for sigv4: access key id → {secretAccessKey, accountId} for tenants, {secretAccessKey, role: 'operator'} for operators. */
  credentials?: CredentialTable;
  /** Wall-clock milliseconds for the 15-minute window; defaults to Date.now. */
  now?: () => number;
}

/**
 * The caller of a request. In sigv4 mode the signature is verified and the account and role are the
 * ones configured for the access key; otherwise as `resolveCaller` (the developer, in the account its
 * key names).
 */
export function authenticate(settings: AuthSettings | undefined, request: SignedRequest, query: URLSearchParams): Caller {
  if (!settings || settings.mode === 'off') {
    const authorization = headerOf(request.rawHeaders, 'authorization');
    return resolveCaller(authorization, query);
  }
  const verified = verifySigV4(request, settings.credentials ?? new Map(), (settings.now ?? Date.now)());
  return verified;
}

function headerOf(rawHeaders: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === name) return rawHeaders[i + 1];
  return undefined;
}
