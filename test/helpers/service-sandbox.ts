/**
 * What a test that spawns `profileflow serve|worker` needs around the process: a scratch folder and a
 * store of its own (a SQLite data dir or a PostgreSQL schema), a config file whose one connector profile
 * reads the synthetic source, and, through the API, a domain with a Contact object type and workflows
 * over that profile.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Batch,
  CreateDomainCommand,
  CreateIntegrationWorkflowCommand,
  CustomerProfilesClient,
  PutProfileObjectTypeCommand,
} from '@aws-sdk/client-customer-profiles';
import { type Backend, dropSchema, POSTGRES_URL } from './backends.js';
import { FLOW, OBJECT_TYPE, withMember, workflowRequest } from './workflows.js';

/** The connector profile every sandbox config defines and every workflow created here reads. */
export const SYNTHETIC_PROFILE = 'syn';

/** What a sandbox's config file sets. */
export interface ServiceConfig {
  pageDelayMs: number;
  /** The config file's `engine` object, read by serve and by every worker. */
  engine: Record<string, unknown>;
  /** Settings of the synthetic source behind SYNTHETIC_PROFILE. */
  recordsPerDay: number;
  seed: number;
}

/** A scratch folder and a store for spawned processes, removed by `dispose` once they are stopped. */
export interface ServiceSandbox {
  readonly backend: Backend;
  readonly dir: string;
  /** The PostgreSQL schema (on SQLite unused); the first process to start migrates it. */
  readonly schema: string;
  /** Writes a config file into the folder; returns its path for `--config`. */
  writeConfig(config: ServiceConfig, file?: string): string;
  /** The arguments that point a process at the store: `--data-dir` (default: the folder) or `--database-url`. */
  storeArgs(dataDir?: string): string[];
  dispose(): Promise<void>;
}

/** `name` tags the folder and the schema, so a leftover of a crashed run says which test left it. */
export function serviceSandbox(name: string, backend: Backend = 'postgres'): ServiceSandbox {
  const dir = mkdtempSync(join(tmpdir(), `pf-${name}-`));
  const schema = `pf_${name}_${randomBytes(4).toString('hex')}`;
  return {
    backend,
    dir,
    schema,
    writeConfig(config, file = 'config.json') {
      const path = join(dir, file);
      writeFileSync(
        path,
        JSON.stringify({
          pageDelayMs: config.pageDelayMs,
          engine: config.engine,
          connectorProfiles: [
            { name: SYNTHETIC_PROFILE, kind: 'synthetic', settings: { recordsPerDay: config.recordsPerDay, seed: config.seed } },
          ],
        }),
      );
      return path;
    },
    storeArgs(dataDir = dir) {
      return backend === 'sqlite' ? ['--data-dir', dataDir] : ['--database-url', `${POSTGRES_URL}?schema=${schema}`];
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
      if (backend === 'postgres') await dropSchema(schema);
    },
  };
}

/**
 * A connection per request, for clients of spawned services. Why: these tests wait seconds between two
 * requests (a process killed, another started), and a kept-alive connection idle for about the server's
 * keep-alive timeout (5 s) can be closed by the server just as the client sends on it: ECONNRESET, which
 * a client with maxAttempts 1 does not retry and which says nothing about the service.
 */
export const FRESH_CONNECTIONS = { requestHandler: { httpAgent: new Agent({ keepAlive: false }) } };

/** The official client for a spawned service, built with maxAttempts 1 so that a 500 is seen as it is. */
export function serviceClient(url: string): CustomerProfilesClient {
  return new CustomerProfilesClient({ endpoint: url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'AKID', secretAccessKey: 's' }, ...FRESH_CONNECTIONS });
}

/** CreateDomain, then the Contact object type keyed (UNIQUE and PROFILE) by the synthetic records' Id. */
export async function createContactDomain(client: CustomerProfilesClient, domain: string): Promise<void> {
  await client.send(new CreateDomainCommand({ DomainName: domain, DefaultExpirationDays: 30 }));
  await client.send(
    new PutProfileObjectTypeCommand({
      DomainName: domain,
      ObjectTypeName: OBJECT_TYPE,
      Description: 'contacts',
      AllowProfileCreation: true,
      Fields: { Id: { Source: '_source.Id', Target: '_custom.Id', ContentType: 'STRING' } },
      Keys: { Id: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['Id'] }] },
    }),
  );
}

export interface SyntheticWorkflowOptions {
  domain: string;
  flowName: string;
  batches: Batch[];
  /** FlowDefinition.KmsArn, when the test looks for it (in logs, say). */
  kmsArn?: string;
}

/** An on-demand CreateIntegrationWorkflow into Contact, reading SYNTHETIC_PROFILE; returns the WorkflowId. */
export async function createSyntheticWorkflow(client: CustomerProfilesClient, o: SyntheticWorkflowOptions): Promise<string> {
  let input = workflowRequest({ env: { domain: o.domain, objectType: OBJECT_TYPE, profile: SYNTHETIC_PROFILE }, FlowName: o.flowName, Batches: o.batches });
  if (o.kmsArn !== undefined) input = withMember(input, `${FLOW}.KmsArn`, o.kmsArn);
  const out = await client.send(new CreateIntegrationWorkflowCommand(input));
  assert.ok(out.WorkflowId, 'CreateIntegrationWorkflow answers a WorkflowId');
  return out.WorkflowId;
}
