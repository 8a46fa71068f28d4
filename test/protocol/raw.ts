import assert from 'node:assert/strict';

/** A response read whole: what a client that speaks raw HTTP sees. */
export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** One HTTP request with `fetch`, nothing added: no signing, no SDK serializer. */
export async function send(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const res = await fetch(baseUrl + path, { method, body: options.body, headers: options.headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A JSON body as the SDK sends it. */
export function jsonBody(value: unknown): { body: string; headers: Record<string, string> } {
  return { body: JSON.stringify(value), headers: { 'content-type': 'application/json' } };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Every response carries a request id. */
export function assertRequestId(res: RawResponse): string {
  const id = res.headers.get('x-amzn-requestid');
  assert.ok(id, 'X-Amzn-RequestId is present');
  assert.match(id, UUID);
  return id;
}

/**
 * The error envelope, exactly: the status, `X-Amzn-ErrorType: <code>`, `Content-Type: application/json`,
 * a body that is `{"Message": "..."}` and nothing else, and a request id. Returns the message.
 */
export function assertAwsError(res: RawResponse, status: number, code: string, ...messageParts: (string | RegExp)[]): string {
  assert.equal(res.status, status, `status of ${res.text}`);
  assert.equal(res.headers.get('x-amzn-errortype'), code, `X-Amzn-ErrorType of ${res.text}`);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.ok(res.json !== undefined && typeof res.json === 'object' && res.json !== null, `a JSON object: ${res.text}`);
  const body = res.json as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ['Message'], `only Message in ${res.text}`);
  assert.equal(typeof body.Message, 'string');
  const message = body.Message as string;
  assert.ok(message.length > 0, 'the message says something');
  for (const part of messageParts) {
    if (typeof part === 'string') assert.ok(message.includes(part), `message '${message}' lacks '${part}'`);
    else assert.match(message, part);
  }
  assertRequestId(res);
  return message;
}
