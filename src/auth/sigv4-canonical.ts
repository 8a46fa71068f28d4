/**
 * SigV4's canonical form, shared by the server's verifier (src/auth/sigv4.ts, node:crypto) and the web
 * console's signer (console/src/sigv4.ts, WebCrypto), so that what the console signs is what the server
 * verifies. Pure and free of Node APIs: hashing and HMAC stay with each side, which passes the hashes in.
 * The rules are those of every service but S3, as the JS SDK (`@smithy/signature-v4`) and botocore
 * apply them.
 */

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** The signing name of Customer Profiles (the model's `signingName`): the third part of the credential scope. */
export const SIGNING_SERVICE = 'profile';
/** The last part of the credential scope and of the signing key's HMAC chain. */
export const SCOPE_TERMINATOR = 'aws4_request';

/** The parts of a request a signature covers, as they travelled (header names lower-cased). */
export interface CanonicalParts {
  method: string;
  /** The path as sent, still percent-encoded. */
  rawPath: string;
  /** Decoded query pairs in arrival order. */
  query: Array<[string, string]>;
  /** Presigned: the X-Amz-Signature parameter is not part of what it signs. */
  presigned: boolean;
  headers: Map<string, string[]>;
  /** Lower-cased, in the order the signer listed them (sorted, for any conforming signer). */
  signedHeaders: string[];
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD. */
  payloadHash: string;
}

/**
 * The canonical request. Throws URIError when a path or query part holds a lone surrogate, which no
 * real client can have signed; the verifier answers that as a signature mismatch.
 */
export function canonicalRequest(parts: CanonicalParts): string {
  const canonicalHeaders = parts.signedHeaders.map((name) => `${name}:${parts.headers.get(name)?.join(',') ?? ''}\n`).join('');
  return [
    parts.method.toUpperCase(),
    canonicalUri(parts.rawPath),
    canonicalQuery(parts.query, parts.presigned),
    canonicalHeaders,
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

/** `<YYYYMMDD>/<region>/<service>/aws4_request`. */
export function credentialScope(date: string, region: string, service: string, terminator = SCOPE_TERMINATOR): string {
  return `${date}/${region}/${service}/${terminator}`;
}

/** The string to sign, given the hex SHA-256 of the canonical request. */
export function stringToSign(amzDate: string, scope: string, canonicalRequestSha256: string): string {
  return [ALGORITHM, amzDate, scope, canonicalRequestSha256].join('\n');
}

/**
 * What the signing key is derived from: HMAC-SHA256 keyed with `first` over the first of `chain`, then
 * keyed with each result over the next.
 */
export function signingKeyChain(secret: string, date: string, region: string, service: string): { first: string; chain: string[] } {
  return { first: `AWS4${secret}`, chain: [date, region, service, SCOPE_TERMINATOR] };
}

export function authorizationHeader(accessKeyId: string, scope: string, signedHeaders: readonly string[], signature: string): string {
  return `${ALGORITHM} Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
}

/** `YYYYMMDDTHHMMSSZ`. */
export function amzDateOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * The canonical request of a request about to be sent to `url`: `host` from the URL (as fetch sends it)
 * and every header given (names lower-cased) are signed, the path and query exactly as the URL will
 * travel. Answers the canonical request and the signed header names.
 */
export function outgoingCanonicalRequest(request: {
  method: string;
  url: { host: string; pathname: string; search: string };
  headers: Record<string, string>;
  payloadHash: string;
  presigned: boolean;
}): { canonical: string; signedHeaders: string[] } {
  const headers = collectHeaders([['host', request.url.host], ...Object.entries(request.headers)].flat());
  const { rawPath, query } = splitUrl(`${request.url.pathname}${request.url.search}`);
  const signedHeaders = [...headers.keys()].sort();
  const canonical = canonicalRequest({
    method: request.method,
    rawPath,
    query,
    presigned: request.presigned,
    headers,
    signedHeaders,
    payloadHash: request.payloadHash,
  });
  return { canonical, signedHeaders };
}

/** Path and decoded query pairs of a raw request target (`/a%20b?x=1&y`). */
export function splitUrl(rawUrl: string): { rawPath: string; query: Array<[string, string]> } {
  const q = rawUrl.indexOf('?');
  return { rawPath: q === -1 ? rawUrl : rawUrl.slice(0, q), query: parseQuery(q === -1 ? '' : rawUrl.slice(q + 1)) };
}

/** Lower-cased names; each value trimmed with inner runs of spaces collapsed, as the canonical form wants. */
export function collectHeaders(rawHeaders: string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1].trim().replace(/\s+/g, ' ');
    const list = headers.get(name);
    if (list) list.push(value);
    else headers.set(name, [value]);
  }
  return headers;
}

/** Decoded pairs in arrival order; a pair that is not valid percent-encoding is kept as sent. */
function parseQuery(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (rawQuery === '') return pairs;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    // '+' reads as a space, as the request's own query parser reads it (URLSearchParams): what is verified
    // is what the operation is given. Signers encode a space as %20 and a plus as %2B, so none is affected.
    pairs.push([decode(key.replace(/\+/g, ' ')), decode(value.replace(/\+/g, ' '))]);
  }
  return pairs;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * SigV4 for every service but S3: remove empty and dot segments, then URI-encode the path *as sent*
 * again (clients already encoded each label once, so `my%20domain` signs as `my%2520domain`), keeping `/`.
 * The JS SDK (`@smithy/signature-v4` getCanonicalPath) and botocore (`_normalize_url_path`) agree.
 */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `/${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  return uriEncode(normalized).replace(/%2F/g, '/');
}

/** Sorted by encoded key, then encoded value; the presigned signature itself is left out. */
function canonicalQuery(pairs: Array<[string, string]>, presigned: boolean): string {
  return pairs
    .filter(([k]) => !(presigned && k === 'X-Amz-Signature'))
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** RFC 3986 strict: everything but A-Z a-z 0-9 - _ . ~ is percent-encoded (UTF-8). Throws URIError on a lone surrogate. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
