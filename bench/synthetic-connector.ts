// How much CPU the synthetic source spends per 100,000 records. Limit: well under one second per 100k.
// Run: node --import tsx bench/synthetic-connector.ts
import { connectorFor } from '../src/connectors/index.js';
import type { ReadRequest } from '../src/connectors/types.js';

const LIMIT_MS_PER_100K = 1000;
const RECORDS = 1_000_000;
const synthetic = connectorFor('synthetic');
if (!synthetic) throw new Error('the synthetic connector is not registered');

for (const pageSize of [100, 1000, 10_000]) {
  const request: ReadRequest = {
    profile: { name: 'bench', kind: 'synthetic', connectorTypes: ['Salesforce'], settings: { recordsPerDay: RECORDS } },
    connectorType: 'Salesforce',
    object: 'Account',
    window: { start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-01-02T00:00:00Z') },
    fields: [],
    pageSize,
  };
  const cpu = process.cpuUsage();
  let count = 0;
  for await (const page of synthetic.read(request)) count += page.records.length;
  const used = process.cpuUsage(cpu);
  const perHundredK = ((used.user + used.system) / 1000 / count) * 100_000;
  process.stdout.write(
    `synthetic, page ${pageSize}: ${count} records, ${perHundredK.toFixed(0)} ms CPU per 100k ` +
      `(${(perHundredK / LIMIT_MS_PER_100K).toFixed(2)} of the limit)\n`,
  );
}
