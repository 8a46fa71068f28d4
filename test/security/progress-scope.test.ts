import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateDomainCommand, GetWorkflowCommand } from '@aws-sdk/client-customer-profiles';
import { ALL_CONNECTOR_TYPES, createWorkflow, putObjectType } from '../helpers/workflows.js';
import { assertAwsError } from '../protocol/raw.js';
import { ACCOUNT_A, ACCOUNT_B, KEY_A, KEY_B, OPERATOR_KEY, OPERATOR_SECRET, type SecureServer, sendSigned, signRequest, startSecureServer } from './support.js';

describe('GET /_profileflow/workflows/{domain}/{id}/progress with --auth sigv4', () => {
  let s: SecureServer;
  let idA: string;
  const path = () => `/_profileflow/workflows/scoped/${idA}/progress`;
  const asOperator = { accessKeyId: OPERATOR_KEY, secretAccessKey: OPERATOR_SECRET };

  before(async () => {
    s = await startSecureServer();
    await s.store.connectorProfiles.put(
      { name: 'progress-synthetic', kind: 'synthetic', connectorTypes: ALL_CONNECTOR_TYPES as never, settings: { recordsPerDay: 24, seed: 7 } },
      'api',
      Date.now(),
    );
    for (const key of [KEY_A, KEY_B]) {
      const client = s.client({ accessKeyId: key });
      await client.send(new CreateDomainCommand({ DomainName: 'scoped', DefaultExpirationDays: 30 }));
      await putObjectType(client, 'scoped');
    }
    idA = await createWorkflow(s.client({ accessKeyId: KEY_A }), { env: { domain: 'scoped', objectType: 'Contact', profile: 'progress-synthetic' } });
  });
  after(() => s.close());

  test("a tenant reads its own workflow's progress; another tenant finds it missing, as GetWorkflow does, and may not name the owner's account", async () => {
    const own = await sendSigned(await signRequest(s.url, 'GET', path(), { accessKeyId: KEY_A }));
    assert.equal(own.status, 200, own.text);
    assert.equal((own.json as { accountId: string }).accountId, ACCOUNT_A);

    const other = await sendSigned(await signRequest(s.url, 'GET', path(), { accessKeyId: KEY_B }));
    const message = assertAwsError(other, 404, 'ResourceNotFoundException');
    const fromAws = await s.client({ accessKeyId: KEY_B }).send(new GetWorkflowCommand({ DomainName: 'scoped', WorkflowId: idA })).catch((e: Error) => e);
    assert.equal(message, (fromAws as Error).message);

    const naming = await sendSigned(await signRequest(s.url, 'GET', path(), { accessKeyId: KEY_B, query: { accountId: ACCOUNT_A } }));
    assertAwsError(naming, 403, 'AccessDeniedException', `own account (${ACCOUNT_B})`);
  });

  test('the operator names the account; without one it is told to; unsigned is refused', async () => {
    const named = await sendSigned(await signRequest(s.url, 'GET', path(), { ...asOperator, query: { accountId: ACCOUNT_A } }));
    assert.equal(named.status, 200, named.text);
    assertAwsError(await sendSigned(await signRequest(s.url, 'GET', path(), { ...asOperator, query: { accountId: ACCOUNT_B } })), 404, 'ResourceNotFoundException');
    assertAwsError(await sendSigned(await signRequest(s.url, 'GET', path(), asOperator)), 400, 'BadRequestException', '?accountId=');
    const unsigned = await fetch(`${s.url}${path()}`);
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    await unsigned.body?.cancel();
  });
});
