import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings the service's own processes (`serve`, `worker`) run with. Only the CLI applies them: a test
 * suite that starts profileflow in its own process (src/testing) keeps its runtime as it is.
 *
 * `--no-allocation-site-pretenuring`. V8 watches where objects are allocated, and when nearly all the
 * objects of one allocation site outlive a young-generation collection it allocates that site's later
 * objects straight in the old generation. A request's database objects (pg's query, its result and the
 * promise around them) live exactly one round trip: under 16 concurrent requests V8 decided to tenure
 * them. Dead old objects are collected only by a full collection, and until then every young object they
 * point to (the rows, the answer being built) survives each young collection as if alive and is copied,
 * then promoted. Measured on PostgreSQL, 16 connections (docs/performance.md, Control plane,
 * "Allocation-site pretenuring"): 357 MB promoted and 1.55 s of collection pauses in a ListWorkflows run
 * of 10 s, against 4 MB and 0.32 s for the work limit; with the flag off ListWorkflows gained 24 % and
 * GetWorkflowSteps 35 %, and ingestion did not move.
 *
 * An operator who names the setting on node's command line (`node --allocation-site-pretenuring …`)
 * keeps their choice.
 */
export const SERVICE_V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring'];

/** The service's flags that `execArgv` (node's own command-line options) does not already decide. */
export function serviceV8Flags(execArgv: readonly string[]): string[] {
  const named = (flag: string) => flag.replace(/_/g, '-').replace(/^--(no-)?/, '').split('=')[0];
  const decided = new Set(execArgv.filter((a) => a.startsWith('--')).map(named));
  return SERVICE_V8_FLAGS.filter((flag) => !decided.has(named(flag)));
}

/** Applies the service's flags before the process does its work; returns those it applied. */
export function applyServiceV8Flags(execArgv: readonly string[] = process.execArgv, set: (flag: string) => void = setFlagsFromString): string[] {
  const flags = serviceV8Flags(execArgv);
  for (const flag of flags) set(flag);
  return flags;
}
