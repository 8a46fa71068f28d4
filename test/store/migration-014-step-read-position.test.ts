import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Migrator } from 'kysely';
import type { FlowDefinition } from '../../src/api/shapes.generated.js';
import { withMigrationLock } from '../../src/store/dialects/postgres.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { migrateStore, openStore, type StoreConfig } from '../../src/store/open-store.js';
import { availableBackends, dropSchema, POSTGRES_URL } from '../helpers/backends.js';

// Migration 014 on a database with steps recorded before it: they read as having no read position and no
// estimate (so their progress falls back to the other rules), and they take both from their next page on.

const scope = { accountId: '000000000000', region: 'us-east-1' };
const T0 = Date.UTC(2026, 0, 1);
const FLOW: FlowDefinition = {
  FlowName: 'f',
  KmsArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
  SourceFlowConfig: { ConnectorType: 'Salesforce', SourceConnectorProperties: { Salesforce: { Object: 'Contact' } } },
  Tasks: [],
  TriggerConfig: { TriggerType: 'OnDemand' },
};

for (const backend of await availableBackends()) {
  describe(`migration 014: a step's read position and estimate [${backend}]`, () => {
    test('steps recorded before it have neither; a running one takes both with its next page after the upgrade', async () => {
      const config: StoreConfig =
        backend === 'sqlite'
          ? { backend: 'sqlite', dataDir: '', file: ':memory:' }
          : { backend: 'postgres', databaseUrl: POSTGRES_URL, schema: `pf_test_${process.pid}_${randomBytes(4).toString('hex')}`, poolSize: 2 };
      const store = await openStore(config, { migrate: false });
      try {
        const run = async () => {
          const migrationTableSchema = config.backend === 'postgres' ? config.schema : undefined;
          const { error } = await new Migrator({ db: store.db, provider: migrationProvider, migrationTableSchema }).migrateTo('013-profile-merges');
          if (error) throw error instanceof Error ? error : new Error(String(error));
        };
        if (config.backend === 'postgres') await withMigrationLock(config.databaseUrl, run);
        else await run();

        const workflowId = 'w'.repeat(32);
        await store.workflows.create(
          scope,
          {
            workflowId, domainName: 'shop', workflowType: 'APPFLOW_INTEGRATION', status: 'NOT_STARTED', objectTypeName: 'Contact',
            connectorType: 'Salesforce', connectorProfileName: 'p', roleArn: 'arn:aws:iam::123456789012:role/r', definition: { flowDefinition: FLOW },
            recordsProcessed: 0, stepsCompleted: 0, totalSteps: 1, createdAt: T0, updatedAt: T0,
          },
          [{ windowStart: T0, windowEnd: T0 + 1000, executionMessage: 'waiting' }],
        );
        const key = { workflowId, stepNo: 1 };
        await store.workflows.claim({ owner: 'old', now: T0, leaseMs: 60_000 });

        assert.equal((await migrateStore(config, store))[0], '014-step-read-position');
        const [before] = await store.workflows.listStepProgress({ scope, workflowId, limit: 10 });
        assert.equal(before.status, 'IN_PROGRESS');
        assert.ok(!('readThrough' in before) && !('recordsEstimate' in before), JSON.stringify(before));
        assert.ok(await store.workflows.checkpointPage({ owner: 'old', key, now: T0 + 1, leaseMs: 60_000, cursor: 'c', records: 3, dropped: 0, message: 'p', readThrough: T0 + 400 }));
        const [after] = await store.workflows.listStepProgress({ scope, workflowId, limit: 10 });
        assert.equal(after.readThrough, T0 + 400);
        assert.equal(after.recordsProcessed, 3);
      } finally {
        await store.close();
        if (config.backend === 'postgres' && config.schema) await dropSchema(config.schema);
      }
    });
  });
}
