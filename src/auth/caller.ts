/** Who is calling, and where: every stored resource is keyed by (accountId, region). */
export interface Caller {
  accountId: string;
  region: string;
  accessKeyId: string | undefined;
}

export const DEFAULT_ACCOUNT_ID = '000000000000';
export const DEFAULT_REGION = 'us-east-1';

const CREDENTIAL_IN_HEADER = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/**
 * Reads the caller from the SigV4 credential scope (Authorization header, or the presigned
 * X-Amz-Credential query parameter). Until credentials are configured (the SigV4 issue), the account
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
  };
}
