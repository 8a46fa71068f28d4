import { errorCode } from '../shared/http.js';
import { ShortStreamError } from '../shared/byte-source.js';
import { SourceError } from '../types.js';

/**
 * S3 error codes that no retry mends, each with what the operator should check. Codes and meanings from
 * the S3 API reference's "List of error codes".
 */
const PERMANENT: Record<string, string> = {
  AccessDenied: "the profile's credentials are not allowed to do this (s3:ListBucket on the bucket, s3:GetObject on its objects)",
  AllAccessDisabled: 'all access to the bucket has been disabled',
  NoSuchBucket: "the bucket does not exist (check BucketName, and the profile's region and endpoint)",
  NoSuchKey: 'the object was deleted after it was listed',
  InvalidAccessKeyId: "the access key id is not known to the server (check the variable named by 'accessKeyIdEnv', or the default credential chain)",
  SignatureDoesNotMatch: "the secret access key does not match the access key id (check the variable named by 'secretAccessKeyEnv')",
  ExpiredToken: "the session token has expired (renew the variable named by 'sessionTokenEnv')",
  InvalidToken: "the session token is malformed or invalid (check the variable named by 'sessionTokenEnv')",
  TokenRefreshRequired: 'the session token must be refreshed',
  InvalidBucketName: 'the bucket name is not a valid S3 bucket name',
  InvalidObjectState: 'the object is archived (for example in S3 Glacier) and must be restored before it can be read',
  PermanentRedirect: "the bucket is in another region than the profile's 'region' setting",
  AuthorizationHeaderMalformed: "the bucket is in another region than the profile's 'region' setting",
  AccountProblem: 'the AWS account has a problem that prevents the request',
  NotImplemented: 'the server does not implement this S3 operation',
};

/** Codes S3 documents as "reduce your request rate" or "try again". */
const TRANSIENT = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
  'RequestLimitExceeded',
  'OperationAborted',
]);

/** Socket and DNS failures that pass: a reset, a refused connection while the store restarts, a timeout. */
const TRANSIENT_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * An S3 or network failure as a SourceError. `what` says what was being done, naming the bucket and
 * key; the message never carries credentials (the SDK's messages do not, and settings hold only names).
 */
export function s3SourceError(err: unknown, what: string): SourceError {
  if (err instanceof SourceError) return err;
  const e = (err ?? {}) as SdkErrorShape;
  const code = e.Code ?? (e.name && e.name !== 'Error' && e.name !== 'S3ServiceException' ? e.name : undefined) ?? e.code;
  const status = e.$metadata?.httpStatusCode;
  // When S3 (or whatever answers at the endpoint) answered, only its error code is shown: its message
  // is answer text, which stays out of step messages. Local failures keep their own words.
  const cause =
    status !== undefined
      ? (errorCode(code) ?? 'an error without a code')
      : `${code && !String(e.message).startsWith(code) ? `${code}: ` : ''}${e.message ?? String(err)}`;

  if (e.code === 'EPROFILEFLOWPOLICY') return new SourceError('permanent', `${what} is refused: ${e.message}.`);

  if (err instanceof ShortStreamError) {
    return new SourceError('permanent', `${what} failed: the object is shorter than the position the read resumes from; it changed since the read began.`);
  }
  if (e.name === 'CredentialsProviderError') {
    return new SourceError(
      'permanent',
      `${what} failed: no AWS credentials were found by the default credential chain (${e.message}); ` +
        "set them in the profileflow process's environment, or name variables in 'accessKeyIdEnv' and 'secretAccessKeyEnv'.",
    );
  }
  if (typeof e.message === 'string' && /region is missing/i.test(e.message)) {
    return new SourceError('permanent', `${what} failed: no AWS region is configured; set the profile's 'region' setting or AWS_REGION.`);
  }
  if (code && PERMANENT[code]) return new SourceError('permanent', `${what} failed: ${cause} (${PERMANENT[code]}).`);
  if (code && TRANSIENT.has(code)) return new SourceError('transient', `${what} failed: ${cause}.`);
  if (status !== undefined) {
    // 429 and 5xx are worth another try; any other status is the request's own fault.
    const kind = status === 429 || status >= 500 ? 'transient' : 'permanent';
    return new SourceError(kind, `${what} failed: HTTP ${status} ${cause}.`);
  }
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
    return new SourceError('permanent', `${what} failed: the object is not valid gzip data (${e.message}).`);
  }
  if (e.code === 'ENOTFOUND') {
    return new SourceError('permanent', `${what} failed: the host was not found (${e.message}); check the profile's 'endpoint' and 'region'.`);
  }
  if ((e.code && TRANSIENT_NETWORK.has(e.code)) || e.name === 'TimeoutError' || /socket hang up|aborted/i.test(String(e.message))) {
    return new SourceError('transient', `${what} failed: the connection broke (${e.code ?? e.name}: ${e.message}).`);
  }
  // Anything else from the SDK or the network (a reply it could not parse, an unknown socket error):
  // retried with back-off, and reported with its own words if it persists.
  return new SourceError('transient', `${what} failed: ${cause}.`);
}
