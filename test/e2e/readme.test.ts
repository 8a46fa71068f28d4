/**
 * The README's first hour, run as a newcomer would, in order, against a fresh `profileflow serve
 * --ephemeral`: the "Use it from the AWS CLI" block in bash, then the "Use it from the SDK" snippet saved
 * as a file and run with `npx tsx`. Only the endpoint's port is changed (the service listens on a free
 * one); the text is taken from README.md itself, so an example that stops working fails here.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { hasAwsCli } from '../helpers/aws-clients.js';
import { type CliProcess, cliBuilt, startServe } from '../helpers/cli-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Under the repository, so that the snippet finds the SDK in node_modules as a reader's copy would. */
const WORK = join(ROOT, 'test-results', 'readme');

/** The first ```lang block after the heading `## title`. */
function block(readme: string, title: string, lang: string): string {
  const at = readme.indexOf(`\n## ${title}\n`);
  assert.ok(at >= 0, `README has a section "${title}"`);
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)\\n```').exec(readme.slice(at));
  assert.ok(m, `a ${lang} block under "${title}"`);
  return m[1];
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('README: the AWS CLI example, then the SDK snippet, against a fresh serve', { skip: hasAwsCli ? false : 'aws CLI not installed' }, () => {
  let serve: CliProcess;
  let url: string;
  let env: NodeJS.ProcessEnv;
  let workflowId = '';
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  before(async () => {
    assert.ok(cliBuilt, 'dist/bundle/profileflow.js is missing: run `npm run build` first');
    const started = await startServe(['--ephemeral']);
    serve = started.proc;
    url = started.url;
    mkdirSync(WORK, { recursive: true });
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PROFILEFLOW_') && !k.startsWith('AWS_')));
    // No AWS configuration of the machine's own; the profileflow commands find the service as the aws ones do.
    env = { ...inherited, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_ENDPOINT_URL: url, npm_config_yes: 'false' };
  });
  after(async () => {
    await serve?.kill();
  });

  test('the AWS CLI block runs start to end: the workflow it creates completes', async () => {
    const script = block(readme, 'Use it from the AWS CLI', 'sh').replaceAll('http://127.0.0.1:4599', url);
    const r = await run('bash', ['-c', `set -euo pipefail\n${script}\necho "README_WORKFLOW_ID=$W"`], env, ROOT);
    assert.equal(r.code, 0, `the block failed:\n${r.stderr}\n${r.stdout}`);
    workflowId = /README_WORKFLOW_ID=([0-9a-f]{32})$/m.exec(r.stdout)?.[1] ?? '';
    assert.ok(workflowId, `create-integration-workflow gave a WorkflowId:\n${r.stdout}`);
    assert.match(r.stdout, new RegExp(`${workflowId} COMPLETE — 12000 records, 2/2 steps`), 'watch saw it complete');
    assert.match(r.stdout, new RegExp(`"WorkflowId": "${workflowId}",[\\s\\S]*"Status": "COMPLETE"`), 'list-workflows --status COMPLETE lists it');
  });

  test('then the SDK snippet lists that workflow and its steps', async () => {
    assert.ok(workflowId, 'the CLI block ran first');
    const snippet = block(readme, 'Use it from the SDK', 'ts').replaceAll('http://127.0.0.1:4599', url);
    writeFileSync(join(WORK, 'workflows.ts'), snippet);
    const r = await run('npx', ['tsx', 'workflows.ts'], env, WORK);
    assert.equal(r.code, 0, `the snippet failed:\n${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], new RegExp(`^${workflowId} COMPLETE Complete: 2 of 2 steps complete, 12000 records`));
    assert.deepEqual(lines.slice(1), [
      '  2025-01-01T00:00:00.000Z → 2025-03-01T00:00:00.000Z  COMPLETE  5900 records',
      '  2025-03-01T00:00:00.000Z → 2025-05-01T00:00:00.000Z  COMPLETE  6100 records',
    ]);
  });
});

describe('README: ongoing updates, on a manual clock and a manual engine', { skip: hasAwsCli ? false : 'aws CLI not installed' }, () => {
  let serve: CliProcess;
  let url: string;
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  before(async () => {
    assert.ok(cliBuilt, 'dist/bundle/profileflow.js is missing: run `npm run build` first');
    // The service the section tells the reader to start.
    assert.match(readme, /npx profileflow serve --ephemeral --clock manual --engine-mode manual/);
    const started = await startServe(['--ephemeral', '--clock', 'manual', '--engine-mode', 'manual']);
    serve = started.proc;
    url = started.url;
  });
  after(async () => {
    await serve?.kill();
  });

  test('the block runs: the history completes, the status text names the next run, and after the tick the run is listed Successful', async () => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PROFILEFLOW_') && !k.startsWith('AWS_')));
    const env = { ...inherited, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_ENDPOINT_URL: url, npm_config_yes: 'false' };
    const script = block(readme, "Ongoing updates: the flow's schedule", 'sh').replaceAll('http://127.0.0.1:4599', url);
    const r = await run('bash', ['-c', `set -euo pipefail\n${script}`], env, ROOT);
    assert.equal(r.code, 0, `the block failed:\n${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /Complete: 1 of 1 step complete, 24 records processed; ongoing updates every hour, next run at 2026-03-01T01:00:00\.000Z\./);
    const runs = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('[\n    ['))) as unknown[][];
    assert.equal(runs.length, 1);
    assert.deepEqual(runs[0].slice(0, 2), ['Successful', 25]);
  });
});
