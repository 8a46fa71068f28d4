// Bulk seeding straight through SQL, with the service stopped: workflows cloned from one the API created
// (so every column, the stored FlowDefinition included, is what the service itself writes), generated
// server-side in one INSERT … SELECT (a recursive CTE on SQLite, generate_series on PostgreSQL).
import Sqlite from 'better-sqlite3';
import pg from 'pg';

const DAY_MS = 86_400_000;
/** Seeded workflows are created over the year 2024, evenly spaced. */
export const SEED_START = Date.UTC(2024, 0, 1);
export const SEED_SPAN_MS = 366 * DAY_MS;

export type Target = { backend: 'sqlite'; file: string } | { backend: 'postgres'; url: string; schema: string };

/**
 * 1 in 20 FAILED, 1 in 20 IN_PROGRESS, 1 in 20 NOT_STARTED, the rest COMPLETE; created_at spread evenly
 * over SEED_SPAN_MS. The SQL is the same on both backends apart from the row source and the id.
 */
function workflowSelect(idExpr: string, n: string, i: string, spacing: number): string {
  return `SELECT ${idExpr}, t.account_id, t.region, t.domain_name, t.workflow_type,
      CASE ${i} % 20 WHEN 0 THEN 'FAILED' WHEN 1 THEN 'IN_PROGRESS' WHEN 2 THEN 'NOT_STARTED' ELSE 'COMPLETE' END,
      CASE WHEN ${i} % 20 = 0 THEN 'Step 1 (' || t.workflow_id || ') failed: the source answered 403.' END,
      t.object_type_name, t.connector_type, t.connector_profile_name, t.role_arn, t.definition,
      (${i} % 7) * 1000, CASE WHEN ${i} % 20 > 2 THEN 1 ELSE 0 END, 1, 0,
      ${SEED_START} + ${i} * ${spacing}, ${SEED_START} + ${i} * ${spacing} + 1000, ${SEED_START} + ${i} * ${spacing} + 60000
    FROM ${n}, workflows t WHERE t.workflow_id = ?`;
}

const WORKFLOW_COLUMNS = `(workflow_id, account_id, region, domain_name, workflow_type, status, error_description,
  object_type_name, connector_type, connector_profile_name, role_arn, definition, records_processed,
  steps_completed, total_steps, deleted, created_at, started_at, updated_at)`;

function stepSelect(n: string, i: string): string {
  return `SELECT t.workflow_id, ${i}, t.account_id, t.region, t.domain_name, t.flow_name, 'COMPLETE',
      'Complete: ingested 100 records from the window of step ' || ${i} || '.', 100,
      t.window_start + (${i} - 1) * 3600000, t.window_start + ${i} * 3600000, NULL, 0, t.run_after, NULL, NULL,
      t.created_at, t.updated_at + ${i}
    FROM ${n}, workflow_steps t WHERE t.workflow_id = ? AND t.step_no = 1`;
}

const STEP_COLUMNS = `(workflow_id, step_no, account_id, region, domain_name, flow_name, status, execution_message,
  records_processed, window_start, window_end, cursor, attempts, run_after, lease_owner, lease_expires_at,
  created_at, updated_at)`;

/** `count` workflows cloned from `templateId` (same domain), and `steps` steps given to the template. */
export async function seedWorkflows(target: Target, templateId: string, count: number, steps: number): Promise<void> {
  const spacing = Math.floor(SEED_SPAN_MS / count);
  if (target.backend === 'sqlite') {
    const db = new Sqlite(target.file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    const id = `lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6)))`;
    const series = (name: string, from: number, upTo: number) =>
      `(WITH RECURSIVE ${name}(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM ${name} WHERE i < ${upTo}) SELECT i FROM ${name}) s`;
    db.transaction(() => {
      db.prepare(`INSERT INTO workflows ${WORKFLOW_COLUMNS} ${workflowSelect(id, series('n', 1, count), 's.i', spacing)}`).run(templateId);
      db.prepare(`INSERT INTO workflow_steps ${STEP_COLUMNS} ${stepSelect(series('m', 2, steps), 's.i')}`).run(templateId);
      db.prepare(`UPDATE workflows SET status = 'COMPLETE', total_steps = ?, steps_completed = ? WHERE workflow_id = ?`).run(steps, steps, templateId);
    })();
    db.exec('ANALYZE');
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: target.url, options: `-c search_path="${target.schema}"` });
  await client.connect();
  try {
    const toPg = (text: string) => {
      let k = 0;
      return text.replace(/\?/g, () => `$${++k}`);
    };
    await client.query('BEGIN');
    await client.query(toPg(`INSERT INTO workflows ${WORKFLOW_COLUMNS} ${workflowSelect('gen_random_uuid()::text', `generate_series(1, ${count}) AS s(i)`, 's.i::bigint', spacing)}`), [templateId]);
    await client.query(toPg(`INSERT INTO workflow_steps ${STEP_COLUMNS} ${stepSelect(`generate_series(2, ${steps}) AS s(i)`, 's.i::bigint')}`), [templateId]);
    await client.query(toPg(`UPDATE workflows SET status = 'COMPLETE', total_steps = ?, steps_completed = ? WHERE workflow_id = ?`), [steps, steps, templateId]);
    await client.query('COMMIT');
    await client.query('VACUUM ANALYZE workflows');
    await client.query('VACUUM ANALYZE workflow_steps');
  } finally {
    await client.end();
  }
}
