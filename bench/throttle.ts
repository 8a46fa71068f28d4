// Throttling under load: the service on SQLite with `--throttle-rate R --throttle-burst R` (one token
// bucket per account, region and operation), one domain, and GetDomain sent from a separate process
// (bench/lib/paced-load.ts: open-loop, fixed arrival rate, 64 keep-alive connections, latency from each
// request's due time, per status):
//   1. `1x`: 10 s at R (the limit of this run: what an admitted request costs when nothing is refused);
//   2. `10x`: 10 s at 10 × R: latency of the admitted (200) answers, the 429s, X-Amzn-ErrorType on each;
//   3. `10x-sdk`: the 10 × R load goes on while one official CustomerProfilesClient (default retry
//      strategy) makes 50 GetDomain calls in the same account, then 50 from another account;
//   and the service's VmRSS sampled every 100 ms throughout.
// Targets (ratios to figures of the same run): admitted p99 at 10× ≤ 1.5 × p99 at 1×; peak RSS at 10×
// ≤ 1.2 × peak RSS at 1× (phases of equal length); the SDK client of another account 50 of 50.
// With --heap-cap-mb N the three phases run a second time against a service whose old space is capped
// at N MB (a diagnostic: it separates memory the service needs from garbage V8 has not yet collected).
// Run: npm run bench -- throttle [--rate 200] [--duration 10] [--connections 64] [--sdk-calls 50]
//      [--sdk-concurrency 10] [--heap-cap-mb 64]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateDomainCommand, CustomerProfilesClient, GetDomainCommand } from '@aws-sdk/client-customer-profiles';
import { AUTH_HEADERS, ROOT, cpuMsOf, machineInfo, memoryOf, parseFlags, printTable, round, startService, writeResult } from './lib/common.js';
import { createDomain } from './lib/fixtures.js';
import { type PacedLoadResult, type PacedLoadSpec, type PacedPhaseResult, summarise } from './lib/paced-load.js';

const flags = parseFlags(process.argv.slice(2));
const RATE = Number(flags.rate ?? 200);
const BURST = Math.round(RATE);
const DURATION_S = Number(flags.duration ?? 10);
const CONNECTIONS = Number(flags.connections ?? 64);
const SDK_CALLS = Number(flags['sdk-calls'] ?? 50);
const SDK_CONCURRENCY = Number(flags['sdk-concurrency'] ?? 10);
const WARMUP_S = 2;
/** Old-space cap of the second pass (0: no second pass). */
const HEAP_CAP_MB = Number(flags['heap-cap-mb'] ?? 0);
const OVERLOAD = 10;
const DOMAIN = 'bench-throttle';
/** AUTH_HEADERS' access key is not 12 digits, so with --auth off it acts in account 000000000000. */
const SAME_ACCOUNT_KEY = 'AKIDSDKCLIENT';
/** A 12-digit access key id is taken as the account id (README, --auth off): a bucket of its own. */
const OTHER_ACCOUNT_KEY = '111122223333';

const P99_RATIO_TARGET = 1.5;
const RSS_RATIO_TARGET = 1.2;

interface SdkRun {
  client: string;
  calls: number;
  succeeded: number;
  failed: Record<string, number>;
  /** Attempts the SDK made in all (its $metadata.attempts, on answers and on errors). */
  attempts: number;
  /** Successful calls by the attempt that succeeded (index 0: first attempt). */
  succeededOnAttempt: number[];
  callMs: ReturnType<typeof summarise>;
  seconds: number;
}

function sdkClient(base: string, accessKeyId: string): CustomerProfilesClient {
  // No retry options: the SDK's default (standard mode, 3 attempts, throttling back-off base 500 ms).
  return new CustomerProfilesClient({ endpoint: base, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: 'bench' } });
}

async function sdkCalls(label: string, client: CustomerProfilesClient): Promise<SdkRun> {
  const run: SdkRun = { client: label, calls: SDK_CALLS, succeeded: 0, failed: {}, attempts: 0, succeededOnAttempt: [], callMs: summarise([]), seconds: 0 };
  const durations: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < SDK_CALLS) {
      next++;
      const t0 = performance.now();
      try {
        const out = await client.send(new GetDomainCommand({ DomainName: DOMAIN }));
        const attempts = out.$metadata.attempts ?? 1;
        run.succeeded++;
        run.attempts += attempts;
        run.succeededOnAttempt[attempts - 1] = (run.succeededOnAttempt[attempts - 1] ?? 0) + 1;
      } catch (err) {
        const e = err as { name?: string; $metadata?: { attempts?: number } };
        run.failed[e.name ?? 'Error'] = (run.failed[e.name ?? 'Error'] ?? 0) + 1;
        run.attempts += e.$metadata?.attempts ?? 1;
      }
      durations.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SDK_CONCURRENCY, SDK_CALLS) }, worker));
  run.seconds = (performance.now() - started) / 1000;
  run.callMs = summarise(durations);
  run.succeededOnAttempt = Array.from({ length: run.succeededOnAttempt.length }, (_, i) => run.succeededOnAttempt[i] ?? 0);
  return run;
}

/**
 * One pass of the three phases against a fresh service started with `nodeArgs`; prints its tables
 * (titles prefixed with `label`) and returns what goes into the results file.
 */
async function measure(label: string, nodeArgs: string[]) {
  const loadBefore = loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-throttle-'));
  const svc = await startService(['--data-dir', dir, '--engine-mode', 'off', '--throttle-rate', String(RATE), '--throttle-burst', String(BURST)], { nodeArgs });
  try {
    await createDomain(svc.url, DOMAIN);
    const same = sdkClient(svc.url, SAME_ACCOUNT_KEY);
    const other = sdkClient(svc.url, OTHER_ACCOUNT_KEY);
    await other.send(new CreateDomainCommand({ DomainName: DOMAIN, DefaultExpirationDays: 365 }));
    // Both clients have made a call (modules loaded, connections open) before the load starts.
    await same.send(new GetDomainCommand({ DomainName: DOMAIN }));

    const spec: PacedLoadSpec = {
      url: svc.url,
      method: 'GET',
      path: `/domains/${DOMAIN}`,
      headers: AUTH_HEADERS,
      connections: CONNECTIONS,
      throttleErrorType: 'ThrottlingException',
      phases: [
        { name: 'warm-up', rate: RATE, seconds: WARMUP_S, warmup: true },
        { name: '1x', rate: RATE, seconds: DURATION_S },
        { name: '10x', rate: RATE * OVERLOAD, seconds: DURATION_S },
        { name: '10x-sdk', rate: RATE * OVERLOAD, seconds: null },
      ],
    };

    // The service's memory every 100 ms, tagged with the phase the load generator announced last.
    let phase = 'setup';
    // The service's CPU at each phase boundary (clock ticks of 10 ms: enough over 10 s).
    const cpuMarks: { phase: string; t: number; cpuMs: number }[] = [];
    const samples: { t: number; phase: string; rssMb: number }[] = [];
    const t0 = performance.now();
    const sampler = setInterval(() => samples.push({ t: round((performance.now() - t0) / 1000, 2), phase, rssMb: round(memoryOf(svc.pid).rssMb, 1) }), 100);

    const gen = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'lib', 'paced-load.ts'), JSON.stringify(spec)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let sdkSame: SdkRun | undefined;
    let sdkOther: SdkRun | undefined;
    const load = await new Promise<PacedLoadResult>((resolve, reject) => {
      let result: PacedLoadResult | undefined;
      createInterface({ input: gen.stdout! }).on('line', (line) => {
        if (line.startsWith('@@START ')) {
          phase = JSON.parse(line.slice(8)).phase;
          cpuMarks.push({ phase, t: performance.now(), cpuMs: cpuMsOf(svc.pid) });
          if (phase === '10x-sdk') {
            void (async () => {
              sdkSame = await sdkCalls('same account as the load', same);
              sdkOther = await sdkCalls('another account', other);
              gen.stdin!.write('stop\n');
            })().catch(reject);
          }
        } else if (line.startsWith('@@RESULT ')) result = JSON.parse(line.slice(9));
      });
      gen.once('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`load generator exited ${code}`))));
    });
    clearInterval(sampler);
    cpuMarks.push({ phase: 'end', t: performance.now(), cpuMs: cpuMsOf(svc.pid) });
    /** Service CPU in a phase: share of one core, and µs per request the generator sent in it. */
    const cpuOf = (name: string, sent: number) => {
      const i = cpuMarks.findIndex((m) => m.phase === name);
      const [a, b] = [cpuMarks[i], cpuMarks[i + 1]];
      return { core: (b.cpuMs - a.cpuMs) / (b.t - a.t), usPerRequest: ((b.cpuMs - a.cpuMs) * 1000) / sent };
    };
    const hwmMb = memoryOf(svc.pid).hwmMb;
    const loadAfter = loadavg()[0];

    const byName = (name: string) => load.phases.find((p) => p.name === name) as PacedPhaseResult;
    const one = byName('1x');
    const ten = byName('10x');
    const tenSdk = byName('10x-sdk');
    const count = (p: PacedPhaseResult, status: string) => p.byStatus[status] ?? 0;
    const lat = (p: PacedPhaseResult, status: string) => p.latencyMs[status] ?? summarise([]);
    if (count(ten, '429') === 0) throw new Error('no 429 at 10 × the rate: is throttling on? (banner of the service, --throttle-rate)');

    const phaseRows = load.phases.map((p) => ({
      phase: p.name,
      'offered/s': p.rate,
      seconds: round(p.seconds, 1),
      sent: p.sent,
      '200s': count(p, '200'),
      '429s': count(p, '429'),
      other: p.sent - count(p, '200') - count(p, '429'),
      'admitted/s': round(count(p, '200') / p.seconds, 1),
      '200 p50 ms': round(lat(p, '200').p50, 2),
      '200 p99 ms': round(lat(p, '200').p99, 2),
      '429 p50 ms': round(lat(p, '429').p50, 2),
      '429 p99 ms': round(lat(p, '429').p99, 2),
      '200 p99 from send': round((p.fromSendMs['200'] ?? summarise([])).p99, 2),
      'send lag p50/p99 ms': `${round(p.dispatchLagMs.p50, 2)}/${round(p.dispatchLagMs.p99, 2)}`,
      'service CPU core': round(cpuOf(p.name, p.sent).core, 3),
      'CPU µs/req': round(cpuOf(p.name, p.sent).usPerRequest, 0),
    }));
    printTable(`${label}: GetDomain, --throttle-rate ${RATE} --throttle-burst ${BURST}, SQLite, ${CONNECTIONS} connections, latency from each request's due time`, phaseRows);

    const rss = (names: string[]) => {
      const s = samples.filter((x) => names.includes(x.phase));
      return { start: s[0]?.rssMb ?? NaN, peak: Math.max(...s.map((x) => x.rssMb)), end: s[s.length - 1]?.rssMb ?? NaN, samples: s.length };
    };
    const rssRows = [
      { phase: '1x', ...rss(['1x']) },
      { phase: '10x', ...rss(['10x']) },
      { phase: '10x-sdk', ...rss(['10x-sdk']) },
      { phase: 'all of 10x', ...rss(['10x', '10x-sdk']) },
    ];
    printTable(`${label}: service VmRSS (MB), sampled every 100 ms`, rssRows);

    const sdkRows = [sdkSame!, sdkOther!].map((r) => ({
      client: r.client,
      calls: r.calls,
      succeeded: r.succeeded,
      failed: Object.entries(r.failed).map(([k, v]) => `${k} ${v}`).join(', ') || '0',
      attempts: r.attempts,
      'ok on attempt 1/2/3': r.succeededOnAttempt.join('/') || '–',
      'call p50 ms': round(r.callMs.p50, 1),
      'call max ms': round(r.callMs.max, 1),
      seconds: round(r.seconds, 1),
    }));
    printTable(`${label}: CustomerProfilesClient, default retry strategy, ${SDK_CALLS} GetDomain (${SDK_CONCURRENCY} at a time) during the 10× load`, sdkRows);

    // Admitted at 10×: the bucket's refill over the phase, plus the burst it held when the phase began.
    const expectedAdmitted = (RATE * ten.seconds + BURST) / ten.seconds;
    const p99Ratio = lat(ten, '200').p99 / lat(one, '200').p99;
    // Phases of equal length: RSS also grows with time at 1× (V8 sizing its heap up), so a longer
    // overload window would be compared with a shorter calm one.
    const rss1 = rss(['1x']).peak;
    const rss10 = rss(['10x']).peak;
    const rss10All = rss(['10x', '10x-sdk']).peak;
    const attemptOk = sdkSame!.succeeded / sdkSame!.attempts;
    const ratioRows = [
      {
        measure: 'admitted p99 at 10× / p99 at 1× (ms)',
        measured: round(lat(ten, '200').p99, 2),
        limit: round(lat(one, '200').p99, 2),
        ratio: round(p99Ratio, 2),
        target: `≤ ${P99_RATIO_TARGET}`,
        met: p99Ratio <= P99_RATIO_TARGET ? 'yes' : 'NO',
      },
      {
        measure: 'the same after the first second of each phase',
        measured: round(ten.okAfterFirstSecondMs.p99, 2),
        limit: round(one.okAfterFirstSecondMs.p99, 2),
        ratio: round(ten.okAfterFirstSecondMs.p99 / one.okAfterFirstSecondMs.p99, 2),
        target: `≤ ${P99_RATIO_TARGET}`,
        met: ten.okAfterFirstSecondMs.p99 / one.okAfterFirstSecondMs.p99 <= P99_RATIO_TARGET ? 'yes' : 'NO',
      },
      {
        measure: 'peak RSS at 10× / peak RSS at 1×, 10 s each (MB)',
        measured: rss10,
        limit: rss1,
        ratio: round(rss10 / rss1, 3),
        target: `≤ ${RSS_RATIO_TARGET}`,
        met: rss10 / rss1 <= RSS_RATIO_TARGET ? 'yes' : 'NO',
      },
      {
        measure: 'peak RSS, 10× and the SDK phase after it / 1× (MB)',
        measured: rss10All,
        limit: rss1,
        ratio: round(rss10All / rss1, 3),
        target: '(longer window)',
        met: '–',
      },
      {
        measure: 'admitted/s at 10× / (R + burst/T)',
        measured: round(count(ten, '200') / ten.seconds, 1),
        limit: round(expectedAdmitted, 1),
        ratio: round(count(ten, '200') / ten.seconds / expectedAdmitted, 3),
        target: '≈ 1',
        met: Math.abs(count(ten, '200') / ten.seconds / expectedAdmitted - 1) <= 0.05 ? 'yes' : 'NO',
      },
      {
        // Not a target: the load keeps its own account at 10× the quota, so every caller of that account
        // gets about a tenth of its attempts admitted, as AWS quotas behave (the bucket is the account's,
        // not the connection's). Recovery from throttling is test/security/throttle.test.ts's concern.
        measure: 'SDK calls succeeded, the overloaded account (informative)',
        measured: sdkSame!.succeeded,
        limit: SDK_CALLS,
        ratio: round(sdkSame!.succeeded / SDK_CALLS, 2),
        target: `≈ 1−(1−a)³ = ${round(SDK_CALLS * (1 - (1 - attemptOk) ** 3), 1)}`,
        met: '–',
      },
      {
        measure: 'SDK calls succeeded, another account',
        measured: sdkOther!.succeeded,
        limit: SDK_CALLS,
        ratio: round(sdkOther!.succeeded / SDK_CALLS, 2),
        target: `${SDK_CALLS} of ${SDK_CALLS}`,
        met: sdkOther!.succeeded === SDK_CALLS ? 'yes' : 'NO',
      },
    ];
    printTable(`${label}: ratios to figures of the same run`, ratioRows);
    const mismatches = one.throttleTypeMismatches + ten.throttleTypeMismatches + tenSdk.throttleTypeMismatches;
    const throttled = count(one, '429') + count(ten, '429') + count(tenSdk, '429');
    process.stdout.write(
      `\n429 answers checked: ${throttled}, X-Amzn-ErrorType other than ThrottlingException: ${mismatches}; sample: ${JSON.stringify(ten.throttleSample)}\n` +
        `SDK attempts admitted (same account): ${round(attemptOk, 3)} of each attempt; with 3 attempts that predicts ` +
        `${round(SDK_CALLS * (1 - (1 - attemptOk) ** 3), 1)} of ${SDK_CALLS}\n` +
        `200 p99 ms second by second: 1x ${JSON.stringify(one.p99ByOkSecond)}; 10x ${JSON.stringify(ten.p99ByOkSecond)}; 10x-sdk ${JSON.stringify(tenSdk.p99ByOkSecond)}\n` +
        `load generator CPU ${round(load.generatorCpuMs / 1000, 1)} s; service VmHWM ${round(hwmMb, 1)} MB; load average ${round(loadBefore, 2)} → ${round(loadAfter, 2)}\n`,
    );

    return {
      nodeArgs,
      loadAverage: { before: round(loadBefore, 2), after: round(loadAfter, 2) },
      settings: { rate: RATE, burst: BURST, durationS: DURATION_S, connections: CONNECTIONS, overload: OVERLOAD, sdkCalls: SDK_CALLS, sdkConcurrency: SDK_CONCURRENCY },
      ratios: ratioRows,
      phases: load.phases.map((p) => ({ ...p, serviceCpu: cpuOf(p.name, p.sent) })),
      rss: { byPhase: rssRows, hwmMb: round(hwmMb, 1), samples },
      sdk: { sameAccount: sdkSame, otherAccount: sdkOther, attemptAdmittedShare: round(attemptOk, 4) },
      throttleCheck: { checked: throttled, mismatches, sample: ten.throttleSample },
      generatorCpuMs: round(load.generatorCpuMs, 0),
    };
  } catch (err) {
    process.stderr.write(`service stderr: ${svc.stderrTail()}\n`);
    throw err;
  } finally {
    await svc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const machine = await machineInfo();
  const defaults = await measure('throttle', []);
  // The same load against a service whose old space is capped: V8 then collects instead of growing,
  // so this pass's RSS is what the service actually needs under the overload (the first pass's growth
  // is garbage V8 has room to leave uncollected).
  const capped = HEAP_CAP_MB > 0 ? await measure(`throttle, --max-old-space-size=${HEAP_CAP_MB}`, [`--max-old-space-size=${HEAP_CAP_MB}`]) : undefined;
  const file = writeResult('throttle', {
    command: `npm run bench -- throttle ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    ...defaults,
    ...(capped ? { heapCapped: capped } : {}),
  });
  process.stdout.write(`\nwrote ${file}\n`);
}

await main();
