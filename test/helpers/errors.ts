import assert from 'node:assert/strict';

/**
 * Awaits a call expected to fail with a modelled AWS error and checks what the SDK user sees: the error
 * class name, the HTTP status, and (optionally) words the message must contain.
 */
export async function expectAwsError(
  promise: Promise<unknown>,
  name: string,
  status: number,
  ...messageParts: (string | RegExp)[]
): Promise<Error & { $metadata: { httpStatusCode?: number; requestId?: string } }> {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { $metadata: { httpStatusCode?: number; requestId?: string } };
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    assert.equal(e.$metadata?.httpStatusCode, status);
    for (const part of messageParts) {
      if (typeof part === 'string') assert.ok(e.message.includes(part), `message '${e.message}' lacks '${part}'`);
      else assert.match(e.message, part);
    }
    return e;
  }
  assert.fail(`expected ${name}, but the call succeeded`);
}
