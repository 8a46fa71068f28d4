// The work limit of the control-plane benchmark: a bare node:http server doing the work a request must
// do and nothing else. For each request it runs the same SQL statements the service runs (the text the
// repository's Kysely queries compile to, captured by bench/lib/work-limit.ts), through the same driver
// (better-sqlite3 with the service's pragmas, but twice its page cache, and a statement prepared once; pg with a pool of the
// service's size and named statements, as the service's compiled reads), maps the rows to the operation's answer with the domain's own text functions, and
// JSON.stringify-s it, on `serve`'s V8 settings. No framework, no routing, no authentication, no binding, no validation, no model
// walk, no page-token signing (the token of the captured page is sent as it is). For ListWorkflows that
// includes the page's flows, which a completed workflow's StatusDescription reads. Given `pages` (the walk),
// each request runs the statements of the page its URL names, as the service reads a different page for
// each token, and answers that page's NextToken.
// Usage: node work-limit-server.mjs config.json
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// The V8 settings `serve` runs with on this backend (src/cli/runtime-flags.ts), so that both sides of the
// ratio run on the same runtime.
const { applyV8Flags } = await import(pathToFileURL(join(config.root, 'dist', 'cli', 'runtime-flags.js')).href);
applyV8Flags('serve', config.backend, process.execArgv);
const plan = (file) => import(pathToFileURL(join(config.root, 'dist', 'domain', 'workflow-plan', file)).href);
const { describeOngoing, describeWorkflow, stepWindowText } = await plan('status-text.js');
const { clip255 } = await plan('format.js');

/** Runs statements in order and returns the rows of each: `statements` is a list of [sql, parameters]. */
let runAll;
if (config.backend === 'sqlite') {
  const { default: Sqlite } = await import('better-sqlite3');
  const db = new Sqlite(config.file);
  db.pragma('journal_mode = WAL');
  db.pragma('cache_size = -65536');
  // Prepared once per text, as the service's driver caches them.
  const prepared = new Map();
  const statementOf = (text) => {
    let statement = prepared.get(text);
    if (!statement) prepared.set(text, (statement = db.prepare(text)));
    return statement;
  };
  runAll = async (statements) => statements.map(([text, parameters]) => statementOf(text).all(parameters));
} else {
  const { default: pg } = await import('pg');
  pg.types.setTypeParser(20, (value) => Number(value));
  const pool = new pg.Pool({ connectionString: config.url, max: 10, options: `-c search_path="${config.schema}"` });
  // Named statements, planned once per connection, as the service runs its compiled reads
  // (src/store/dialects/postgres-prepared.ts).
  const names = new Map();
  const nameOf = (text) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `work_limit_${names.size}`));
    return name;
  };
  runAll = async (statements) => {
    const out = [];
    for (const [text, parameters] of statements) out.push((await pool.query({ name: nameOf(text), text, values: parameters })).rows);
    return out;
  };
}

/** What a request runs and answers: its page's statements and NextToken when the walk's pages are given. */
const single = { statements: config.queries.map((q) => [q.sql, q.parameters]), nextToken: config.nextToken };
const pages = new Map(
  (config.pages ?? []).map((page) => [page.path, { statements: page.queries.map(([text, parameters]) => [config.texts[text], parameters]), nextToken: page.nextToken }]),
);

const answers = {
  /** ListWorkflows: the page read (limit + 1 rows, the domain required in it), then the page's flows when it has completed workflows. */
  list(results, nextToken) {
    const rows = results[config.pageStatement];
    const flows = new Map((results[config.pageStatement + 1] ?? []).map((f) => [f.workflow_id, f]));
    const ongoing = (r) => {
      if (r.status !== 'COMPLETE') return undefined;
      const f = flows.get(r.workflow_id);
      return describeOngoing(
        f && {
          workflowId: f.workflow_id,
          flowStatus: f.status,
          triggerConfig: JSON.parse(f.trigger_config),
          createdAt: Number(f.created_at),
          activatedAt: f.activated_at === null ? undefined : Number(f.activated_at),
          nextRunAt: f.next_run_at === null ? undefined : Number(f.next_run_at),
        },
      );
    };
    const items = rows.slice(0, config.pageSize).map((r) => ({
      WorkflowType: r.workflow_type,
      WorkflowId: r.workflow_id,
      Status: r.status,
      // The whole list item, as the repository maps it: whatever members the sentence reads.
      StatusDescription: describeWorkflow(
        {
          workflowId: r.workflow_id,
          workflowType: r.workflow_type,
          status: r.status,
          errorDescription: r.error_description ?? undefined,
          recordsProcessed: Number(r.records_processed),
          stepsCompleted: Number(r.steps_completed),
          totalSteps: Number(r.total_steps),
          createdAt: Number(r.created_at),
          updatedAt: Number(r.updated_at),
        },
        ongoing(r),
      ),
      CreatedAt: Number(r.created_at) / 1000,
      LastUpdatedAt: Number(r.updated_at) / 1000,
    }));
    return { Items: items, NextToken: rows.length > config.pageSize ? nextToken : undefined };
  },
  /** GetWorkflowSteps: the step page, each row with its workflow's type (the workflow and domain required in it). */
  steps(results, nextToken) {
    const rows = results[config.pageStatement];
    const items = rows.slice(0, config.pageSize).map((r) => {
      const window = stepWindowText({ windowStart: Number(r.window_start), windowEnd: Number(r.window_end) });
      return {
        AppflowIntegration: {
          FlowName: r.flow_name,
          Status: r.status,
          ExecutionMessage: clip255(r.execution_message),
          RecordsProcessed: Number(r.records_processed),
          BatchRecordsStartTime: window.start,
          BatchRecordsEndTime: window.end,
          CreatedAt: Number(r.created_at) / 1000,
          LastUpdatedAt: Number(r.updated_at) / 1000,
        },
      };
    });
    return { WorkflowId: config.workflowId, WorkflowType: rows[0].workflow_type, Items: items, NextToken: rows.length > config.pageSize ? nextToken : undefined };
  },
};
const answer = answers[config.answer];

const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    const page = pages.size > 0 ? pages.get(req.url) : single;
    if (!page) {
      res.writeHead(404);
      res.end(`no page for ${req.url}`);
      return;
    }
    runAll(page.statements).then(
      (results) => {
        const body = Buffer.from(JSON.stringify(answer(results, page.nextToken)), 'utf8');
        res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), 'content-length': String(body.length) });
        res.end(body);
      },
      (err) => {
        res.writeHead(500);
        res.end(String(err));
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
