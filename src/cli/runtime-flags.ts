import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings a profileflow process sets for itself when it starts. Only the CLI applies them: a test
 * suite that starts profileflow in its own process (src/testing) keeps its runtime as it is.
 *
 * `--no-allocation-site-pretenuring`, for `serve` on PostgreSQL. V8 watches where objects are allocated,
 * and when nearly all the objects of one allocation site outlive a young-generation collection it
 * allocates that site's later objects straight in the old generation. A request's database objects (pg's
 * query and result, the promise pg returns, the read timeout's timer) live one round trip: under 16
 * concurrent requests V8 decided to tenure them. Dead old objects are collected only by a full
 * collection, and until then every young object they point to (the rows, the answer being built)
 * survives each young collection as if alive, is copied, and is then promoted. Measured on PostgreSQL, 16
 * connections (docs/performance.md, Control plane, "Allocation-site pretenuring"): 357 MB promoted and
 * 1.55 s of collection pauses in a ListWorkflows run of 10 s, against 20 MB and 0.49 s with the setting
 * off; ListWorkflows gained 24 % and GetWorkflowSteps 35 %.
 *
 * Why not everywhere: ingestion's page objects live for a whole page, across many young collections,
 * and allocating them old from the start is what pretenuring is for. A `worker`, which only ingests, ran
 * 5 % slower for 9 % more CPU with the setting off, and `serve`'s ingestion at 1M records on PostgreSQL
 * used 6 % more CPU (within the noise of its rate). On SQLite the API's reads are synchronous, no promise
 * or timer spans them, and nothing was tenured. So only `serve` on PostgreSQL, whose requests it speeds
 * by a quarter, sets it.
 *
 * An operator who names the setting on node's command line (`node --allocation-site-pretenuring …`)
 * keeps their choice.
 */
const NO_PRETENURING = '--no-allocation-site-pretenuring';

/** The flags the process `command` sets on `backend`, but for those `execArgv` (node's own options) decides. */
export function v8FlagsFor(command: 'serve' | 'worker', backend: 'sqlite' | 'postgres', execArgv: readonly string[]): string[] {
  const flags = command === 'serve' && backend === 'postgres' ? [NO_PRETENURING] : [];
  const named = (flag: string) => flag.replace(/_/g, '-').replace(/^--(no-)?/, '').split('=')[0];
  const decided = new Set(execArgv.filter((a) => a.startsWith('--')).map(named));
  return flags.filter((flag) => !decided.has(named(flag)));
}

/** Sets the flags of `v8FlagsFor` before the process does its work; returns those it set. */
export function applyV8Flags(
  command: 'serve' | 'worker',
  backend: 'sqlite' | 'postgres',
  execArgv: readonly string[] = process.execArgv,
  set: (flag: string) => void = setFlagsFromString,
): string[] {
  const flags = v8FlagsFor(command, backend, execArgv);
  for (const flag of flags) set(flag);
  return flags;
}
