import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ServiceError } from '../api/errors.js';
import type { Credential, CredentialTable } from './credentials.js';
import {
  ALGORITHM,
  amzDateOf,
  authorizationHeader,
  type CanonicalParts,
  canonicalRequest,
  collectHeaders,
  credentialScope,
  outgoingCanonicalRequest,
  SCOPE_TERMINATOR,
  signingKeyChain,
  SIGNING_SERVICE,
  splitUrl,
  stringToSign,
} from './sigv4-canonical.js';

/** The signing names served on this endpoint: Customer Profiles' and the AppFlow slice's. */
export const SIGNING_SERVICES: readonly string[] = [SIGNING_SERVICE, 'appflow'];
/** AWS accepts a request time up to 15 minutes either side of its own clock (SigV4 documentation). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** Presigned URLs live at most seven days, X-Amz-Expires=604800 (SigV4 query-string documentation). */
const MAX_PRESIGN_EXPIRES_S = 604_800;
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/*
 * The front-door errors AWS answers before any operation runs. None is in the Customer Profiles model;
 * both clients read the code from X-Amzn-ErrorType, so SDK users see `err.name === 'InvalidSignatureException'`.
 * Codes, statuses and wording follow what AWS JSON services answer (messages seen in client issue threads).
 */
export class MissingAuthenticationTokenException extends ServiceError {
  constructor(message = 'Missing Authentication Token') {
    super('MissingAuthenticationTokenException', 403, message);
  }
}
export class IncompleteSignatureException extends ServiceError {
  constructor(message: string) {
    super('IncompleteSignatureException', 403, message);
  }
}
export class UnrecognizedClientException extends ServiceError {
  constructor() {
    super('UnrecognizedClientException', 403, 'The security token included in the request is invalid.');
  }
}
export class InvalidSignatureException extends ServiceError {
  constructor(
    message = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  ) {
    super('InvalidSignatureException', 403, message);
  }
}
/** S3 documents this one (400) for a body that does not match its declared hash; we answer it the same way. */
export class ContentSha256MismatchException extends ServiceError {
  constructor() {
    super('XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
}

/** What verification needs: the request exactly as it arrived. */
export interface SignedRequest {
  method: string;
  /** Path and query as sent (`request.raw.url`), never normalised by a router. */
  rawUrl: string;
  /** Node's `rawHeaders`: [name, value, name, value, …], repeated headers kept apart. */
  rawHeaders: string[];
  /** The body bytes; undefined or empty when there is none. */
  body: Buffer | undefined;
}

/** A request whose signature checked out: who signed it and in which region it acts. */
export interface VerifiedCaller {
  accessKeyId: string;
  /** The tenant's account; empty for an operator key, which acts in no account. */
  accountId: string;
  region: string;
  role: 'tenant' | 'operator';
}

interface ParsedAuth {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
  /** YYYYMMDDTHHMMSSZ */
  amzDate: string;
  presigned: boolean;
  expiresS?: number;
  payloadHash: string | undefined;
}

/**
 * Verifies an AWS Signature Version 4 request, in the Authorization header or presigned query form,
 * against the configured credentials. Throws the error AWS answers; returns the signer's account and
 * the region of the credential scope. `now` is wall-clock time (never the manual service clock: signing
 * clients use the real one).
 */
export function verifySigV4(request: SignedRequest, credentials: CredentialTable, now: number): VerifiedCaller {
  const { rawPath, query } = splitUrl(request.rawUrl);
  const headers = collectHeaders(request.rawHeaders);
  const { auth, credential } = checkSigV4Envelope(headers, query, credentials, now);

  const bodyHash = payloadHashOf(request.body);
  let payloadHash = bodyHash;
  if (auth.payloadHash !== undefined) {
    if (auth.payloadHash === 'UNSIGNED-PAYLOAD') {
      // Allowed only where there is nothing to leave unsigned: a body must always be covered.
      if (request.body !== undefined && request.body.length !== 0) throw new ContentSha256MismatchException();
      payloadHash = auth.payloadHash;
    } else if (!/^[0-9a-f]{64}$/.test(auth.payloadHash) || !timingSafeEqualText(auth.payloadHash, bodyHash)) {
      throw new ContentSha256MismatchException();
    }
  }

  const canonical = verifiableCanonicalRequest({
    method: request.method,
    rawPath,
    query,
    presigned: auth.presigned,
    headers,
    signedHeaders: auth.signedHeaders,
    payloadHash,
  });
  const scope = credentialScope(auth.date, auth.region, auth.service, auth.terminator);
  const cached = signingKeys.get(credential)?.get(scope);
  const key = cached?.secret === credential.secretAccessKey ? cached.key : signingKey(credential.secretAccessKey, auth.date, auth.region, auth.service);
  const expected = signatureOf(key, stringToSign(auth.amzDate, scope, sha256Hex(canonical)));
  if (!timingSafeEqualText(auth.signature, expected)) throw new InvalidSignatureException();
  if (key !== cached?.key) rememberSigningKey(credential, scope, key);
  return { accessKeyId: auth.accessKeyId, accountId: credential.accountId, region: auth.region, role: credential.role ?? 'tenant' };
}

/**
 * Everything verifySigV4 checks before it needs the body, in the same order and with the same errors: the
 * form of the signature, its scope, that its key is configured, its time. Run before a body is read, it
 * keeps a request nobody could have signed from making the service hold its body.
 */
export function checkSigV4BeforeBody(request: Omit<SignedRequest, 'body'>, credentials: CredentialTable, now: number): void {
  const { query } = splitUrl(request.rawUrl);
  checkSigV4Envelope(collectHeaders(request.rawHeaders), query, credentials, now);
}

function checkSigV4Envelope(
  headers: Map<string, string[]>,
  query: Array<[string, string]>,
  credentials: CredentialTable,
  now: number,
): { auth: ParsedAuth; credential: Credential } {
  const auth = parseAuth(headers, query);
  checkScope(auth);
  const credential = credentials.get(auth.accessKeyId);
  if (!credential) throw new UnrecognizedClientException();
  checkTime(auth, now);
  return { auth, credential };
}

/** What signing needs from a caller's credentials (a session token is signed as `x-amz-security-token`). */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A request about to be sent: the absolute URL as it will travel, its headers and body. */
export interface RequestToSign {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/**
 * Signs a request with SigV4 (Authorization header form), through the very canonicalisation the
 * verifier uses, so whatever profileflow signs profileflow verifies. Signs `host` (from the URL, as
 * fetch sends it), `x-amz-date`, the session token if any, and every header given; answers those
 * headers plus `authorization` (not `host`: fetch sets it). `now` is wall-clock milliseconds.
 */
export function signSigV4(
  request: RequestToSign,
  credentials: SigningCredentials,
  region: string,
  now: number,
  service: string = SIGNING_SERVICE,
): Record<string, string> {
  const url = new URL(request.url);
  const amzDate = amzDateOf(now);
  const date = amzDate.slice(0, 8);
  // Lower-cased here so that a header given twice in two spellings cannot be signed and sent differently.
  const sent: Record<string, string> = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  sent['x-amz-date'] = amzDate;
  if (credentials.sessionToken) sent['x-amz-security-token'] = credentials.sessionToken;
  const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : request.body;
  const { canonical, signedHeaders } = outgoingCanonicalRequest({ method: request.method, url, headers: sent, payloadHash: payloadHashOf(body), presigned: false });
  const scope = credentialScope(date, region, service);
  const signature = signatureOf(signingKey(credentials.secretAccessKey, date, region, service), stringToSign(amzDate, scope, sha256Hex(canonical)));
  return { ...sent, authorization: authorizationHeader(credentials.accessKeyId, scope, signedHeaders, signature) };
}

/** The canonical request of a request as it arrived; a part no client could have encoded is a signature mismatch. */
function verifiableCanonicalRequest(parts: CanonicalParts): string {
  try {
    return canonicalRequest(parts);
  } catch (err) {
    if (err instanceof URIError) throw new InvalidSignatureException();
    throw err;
  }
}

/**
 * Signing keys already derived, by credential and scope (`date/region/service/aws4_request`). Why: the key
 * is four HMACs and changes once a day per region and service, while the signature over each request
 * stays computed and compared every time (the AWS SDKs keep such a cache on the signing side). A key is
 * remembered only once a signature made with it has verified, so a caller who cannot sign cannot fill
 * the cache; it is used only while the credential's secret is still the one it was derived from.
 */
const signingKeys = new WeakMap<Credential, Map<string, { secret: string; key: Buffer }>>();
/** A credential signs for a day at a time, in a region or a few: past this many scopes the oldest go. */
const MAX_SCOPES_PER_CREDENTIAL = 16;

function rememberSigningKey(credential: Credential, scope: string, key: Buffer): void {
  let byScope = signingKeys.get(credential);
  if (!byScope) signingKeys.set(credential, (byScope = new Map()));
  byScope.delete(scope);
  if (byScope.size >= MAX_SCOPES_PER_CREDENTIAL) byScope.delete(byScope.keys().next().value as string);
  byScope.set(scope, { secret: credential.secretAccessKey, key });
}

/** kSigning = HMAC chain over date, region, service and `aws4_request`, starting from `AWS4<secret>`. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const { first, chain } = signingKeyChain(secret, date, region, service);
  let key: string | Buffer = first;
  for (const part of chain) key = createHmac('sha256', key).update(part).digest();
  return key as Buffer;
}

export function signatureOf(key: Buffer, toSign: string): string {
  return createHmac('sha256', key).update(toSign).digest('hex');
}

function payloadHashOf(body: Buffer | undefined): string {
  return body === undefined || body.length === 0 ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex');
}

function parseAuth(headers: Map<string, string[]>, query: Array<[string, string]>): ParsedAuth {
  const authorization = headers.get('authorization')?.join(',');
  const fromQuery = (name: string) => query.find(([k]) => k === name)?.[1];
  if (authorization === undefined) {
    const algorithm = fromQuery('X-Amz-Algorithm');
    if (algorithm === undefined) throw new MissingAuthenticationTokenException();
    return parsePresigned(algorithm, fromQuery, headers);
  }
  const trimmed = authorization.trim();
  const space = trimmed.indexOf(' ');
  const algorithm = space === -1 ? trimmed : trimmed.slice(0, space);
  const params = new Map<string, string>();
  for (const part of (space === -1 ? '' : trimmed.slice(space + 1)).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const amzDate = headers.get('x-amz-date')?.[0] ?? fromHttpDate(headers.get('date')?.[0]);
  const missing: string[] = [];
  if (!params.get('Credential')) missing.push("Authorization header requires 'Credential' parameter.");
  if (!params.get('Signature')) missing.push("Authorization header requires 'Signature' parameter.");
  if (!params.get('SignedHeaders')) missing.push("Authorization header requires 'SignedHeaders' parameter.");
  if (!amzDate) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (algorithm !== ALGORITHM) {
    throw new IncompleteSignatureException(`Unsupported Authorization Type: '${abridgeText(algorithm)}'; sign with ${ALGORITHM}.`);
  }
  if (missing.length) throw new IncompleteSignatureException(`${missing.join(' ')} Authorization=${abridgeText(algorithm)}`);
  return {
    ...parseCredential(params.get('Credential')!),
    signedHeaders: parseSignedHeaders(params.get('SignedHeaders')!),
    signature: params.get('Signature')!.toLowerCase(),
    amzDate: amzDate!,
    presigned: false,
    payloadHash: headers.get('x-amz-content-sha256')?.[0]?.trim(),
  };
}

function parsePresigned(
  algorithm: string,
  fromQuery: (name: string) => string | undefined,
  headers: Map<string, string[]>,
): ParsedAuth {
  if (algorithm !== ALGORITHM) {
    throw new IncompleteSignatureException(`Unsupported X-Amz-Algorithm '${abridgeText(algorithm)}'; sign with ${ALGORITHM}.`);
  }
  // AWS lists X-Amz-Expires among the parameters of a presigned URL and S3 refuses one without it
  // ("Query-string authentication version 4 requires … X-Amz-Expires"): no URL lives seven days unasked.
  const missing = ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'].filter((n) => !fromQuery(n));
  if (missing.length) {
    throw new IncompleteSignatureException(`AWS query-string parameters missing: ${missing.map((n) => `'${n}'`).join(', ')}.`);
  }
  const expiresText = fromQuery('X-Amz-Expires')!;
  const expiresS = /^\d{1,7}$/.test(expiresText) ? Number(expiresText) : Number.NaN;
  if (!Number.isInteger(expiresS) || expiresS < 1 || expiresS > MAX_PRESIGN_EXPIRES_S) {
    throw new IncompleteSignatureException(`X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGN_EXPIRES_S}.`);
  }
  return {
    ...parseCredential(fromQuery('X-Amz-Credential')!),
    signedHeaders: parseSignedHeaders(fromQuery('X-Amz-SignedHeaders')!),
    signature: fromQuery('X-Amz-Signature')!.toLowerCase(),
    amzDate: fromQuery('X-Amz-Date')!,
    presigned: true,
    expiresS,
    payloadHash: headers.get('x-amz-content-sha256')?.[0]?.trim(),
  };
}

function parseCredential(text: string): Pick<ParsedAuth, 'accessKeyId' | 'date' | 'region' | 'service' | 'terminator'> {
  const parts = text.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw new IncompleteSignatureException(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${abridgeText(text)}'.`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts;
  return { accessKeyId, date, region, service, terminator };
}

function parseSignedHeaders(text: string): string[] {
  return text.split(';').map((h) => h.trim().toLowerCase());
}

function checkScope(auth: ParsedAuth): void {
  if (!/^\d{8}T\d{6}Z$/.test(auth.amzDate) || Number.isNaN(parseAmzDate(auth.amzDate))) {
    throw new IncompleteSignatureException(`Date must be in ISO-8601 'basic format'. Got '${abridgeText(auth.amzDate)}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  if (auth.date !== auth.amzDate.slice(0, 8)) {
    throw new InvalidSignatureException(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${abridgeText(auth.date)}' != '${auth.amzDate.slice(0, 8)}', from '${auth.amzDate}'.`,
    );
  }
  if (!/^[a-z0-9-]{1,32}$/.test(auth.region)) {
    throw new InvalidSignatureException(`Credential should be scoped to a valid region, not '${abridgeText(auth.region)}'.`);
  }
  if (!SIGNING_SERVICES.includes(auth.service)) {
    throw new InvalidSignatureException(
      `Credential should be scoped to correct service: '${SIGNING_SERVICE}' (Customer Profiles) or 'appflow' (Amazon AppFlow), not '${abridgeText(auth.service)}'.`,
    );
  }
  if (auth.terminator !== SCOPE_TERMINATOR) {
    throw new InvalidSignatureException(`Credential should be scoped with a valid terminator: '${SCOPE_TERMINATOR}', not '${abridgeText(auth.terminator)}'.`);
  }
  if (!auth.signedHeaders.includes('host')) {
    throw new InvalidSignatureException("'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (!/^[0-9a-f]{64}$/.test(auth.signature)) throw new InvalidSignatureException();
}

function checkTime(auth: ParsedAuth, now: number): void {
  const at = parseAmzDate(auth.amzDate);
  if (auth.presigned) {
    if (at - MAX_CLOCK_SKEW_MS > now) {
      throw new InvalidSignatureException(
        `Signature not yet current: ${auth.amzDate} is still later than ${amzDateOf(now + MAX_CLOCK_SKEW_MS)} (${amzDateOf(now)} + 15 min.)`,
      );
    }
    const expiresS = auth.expiresS as number;
    const expires = expiresS * 1000;
    if (at + expires < now) {
      throw new InvalidSignatureException(`Signature expired: ${auth.amzDate} is now earlier than ${amzDateOf(now - expires)} (${amzDateOf(now)} - ${expiresS} sec.)`);
    }
    return;
  }
  if (at < now - MAX_CLOCK_SKEW_MS) {
    throw new InvalidSignatureException(
      `Signature expired: ${auth.amzDate} is now earlier than ${amzDateOf(now - MAX_CLOCK_SKEW_MS)} (${amzDateOf(now)} - 15 min.)`,
    );
  }
  if (at > now + MAX_CLOCK_SKEW_MS) {
    throw new InvalidSignatureException(
      `Signature not yet current: ${auth.amzDate} is still later than ${amzDateOf(now + MAX_CLOCK_SKEW_MS)} (${amzDateOf(now)} + 15 min.)`,
    );
  }
}

/** Hex SHA-256 of text as UTF-8: the hash the string to sign carries of the canonical request. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Constant time for equal lengths; unequal lengths differ anyway (the length of a hex digest is public). */
function timingSafeEqualText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function parseAmzDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return Number.NaN;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  // Reject dates that Date.UTC silently rolls over (month 13, 31 February …).
  return amzDateOf(t) === text ? t : Number.NaN;
}

/** The `Date` header (RFC 1123) as an amz date, for clients that sign it instead of X-Amz-Date. */
function fromHttpDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : amzDateOf(t);
}

function abridgeText(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean;
}
