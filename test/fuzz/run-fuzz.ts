// The long hostile-input run: `npm run fuzz -- --runs 20000 [--seed 42]` (or PROFILEFLOW_FUZZ_RUNS /
// PROFILEFLOW_FUZZ_SEED). Every case goes through the same checks as test/fuzz/hostile-input.test.ts
// (runCase); failures are collected (not stopped at) and reported with the seed that reproduces them,
// and the cases are counted by the route table they came from, so a run shows what it covered.
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { heapUsedMb, hostileCase, runCase, startFuzzTarget, type Surface } from './hostile.js';

const { values } = parseArgs({
  options: { runs: { type: 'string' }, seed: { type: 'string' } },
  allowPositionals: false,
});
const runs = Number(values.runs ?? process.env.PROFILEFLOW_FUZZ_RUNS ?? 5000);
const seed = Number(values.seed ?? process.env.PROFILEFLOW_FUZZ_SEED ?? Date.now() % 2 ** 31);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--runs must be a whole number of at least 1, got '${values.runs}'\n`);
  process.exit(2);
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Live heap after a full collection: garbage not yet collected is not growth. */
const liveHeapMb = () => {
  gc();
  return heapUsedMb();
};

const target = await startFuzzTarget();
const failures = new Map<string, { count: number; example: string }>();
const bySurface: Record<Surface, number> = { profile: 0, appflow: 0, admin: 0 };
const signed = { tenant: 0, operator: 0 };
let tried = 0;
const started = Date.now();
const heapStart = liveHeapMb();
let heapPeak = heapStart;

// Cases are generated one at a time (fc.check never holds them all, unlike fc.sample), so the heap figure
// is the service's own.
await fc.check(
  fc.asyncProperty(hostileCase, async (c) => {
    tried++;
    if (c.surface) bySurface[c.surface]++;
    if (c.signAs) signed[c.signAs]++;
    let problem: string | undefined;
    try {
      problem = await runCase(target, c);
    } catch (err) {
      problem = `the request threw: ${(err as Error).message}`;
    }
    if (problem) {
      // Grouped by the kind of problem, not by its details.
      const kind = problem.replace(/\d+/g, '#').slice(0, 120);
      const entry = failures.get(kind) ?? { count: 0, example: `${c.auth}${c.signAs ? ` (${c.signAs})` : ''} ${c.method} ${c.url.slice(0, 200)} [${c.target ?? '?'}] → ${problem.slice(0, 400)}` };
      entry.count++;
      failures.set(kind, entry);
    }
    if (tried % 1000 === 0) {
      const live = liveHeapMb();
      heapPeak = Math.max(heapPeak, live);
      process.stdout.write(`… ${tried}/${runs} cases, ${[...failures.values()].reduce((n, f) => n + f.count, 0)} failures, live heap ${live.toFixed(0)} MB\n`);
    }
    return true;
  }),
  { numRuns: runs, seed },
);
await target.close();

const failed = [...failures.values()].reduce((n, f) => n + f.count, 0);
process.stdout.write(
  `fuzz: ${tried} cases tried in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed}), ${failed} failures; ` +
    `live heap ${heapStart.toFixed(0)} MB at start, ${heapPeak.toFixed(0)} MB at most\n` +
    `  cases by route table: Customer Profiles ${bySurface.profile}, AppFlow ${bySurface.appflow}, /_profileflow/ ${bySurface.admin}; ` +
    `signed for real: ${signed.tenant} with the tenant's key, ${signed.operator} with the operator's\n`,
);
for (const [kind, { count, example }] of failures) process.stdout.write(`  ${count} × ${kind}\n    e.g. ${example}\n`);
process.exit(failed === 0 ? 0 : 1);
