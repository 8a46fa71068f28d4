// A paced (open-loop) load generator, run as a process of its own so that its CPU is not the service's:
// requests are sent on a fixed schedule (request k of a phase is due at start + k / rate) whatever the
// answers do, over a keep-alive pool of many connections, and each answer's latency is taken from the
// time the request was *due*, so a stalled server or a full pool shows up in the figures instead of
// slowing the load down (coordinated omission, as wrk2 measures it). wrk cannot pace a rate.
//
// Usage: node --import tsx bench/lib/paced-load.ts '<PacedLoadSpec JSON>'
// Prints `@@START {"phase":…}` to stdout when each phase begins, and `@@RESULT {…}` (PacedLoadResult)
// once the last phase has ended and its answers are in. A phase with `seconds: null` runs until a line
// `stop` arrives on stdin.
import { Agent, request } from 'node:http';
import { pathToFileURL } from 'node:url';

export interface PacedPhase {
  name: string;
  /** Requests per second. */
  rate: number;
  /** Length of the phase; null: until `stop` on stdin. */
  seconds: number | null;
  /** Phases marked warm-up are run but their answers are not reported. */
  warmup?: boolean;
}

export interface PacedLoadSpec {
  /** http://host:port */
  url: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** Size of the keep-alive pool; requests beyond it wait in the pool (and that wait counts). */
  connections: number;
  phases: PacedPhase[];
  /** Expected X-Amzn-ErrorType on every 429 (each one is checked). */
  throttleErrorType?: string;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface PacedPhaseResult {
  name: string;
  rate: number;
  seconds: number;
  /** Requests sent in the phase (the schedule's count; none are skipped). */
  sent: number;
  byStatus: Record<string, number>;
  /** Latency in ms from the due time to the last byte of the answer, per status. */
  latencyMs: Record<string, LatencySummary>;
  /** The same from the moment the generator sent the request (a wait for a free pool connection included). */
  fromSendMs: Record<string, LatencySummary>;
  /** p99 latency (ms, from the due time) of the 200s due in each second of the phase. */
  p99ByOkSecond: number[];
  /** The 200s due after the phase's first second (ms from the due time): the steady state. */
  okAfterFirstSecondMs: LatencySummary;
  /** How late requests left the generator (ms after their due time): shows it kept pace. */
  dispatchLagMs: LatencySummary;
  /** Connection errors (no answer). */
  errors: number;
  /** 429 answers whose X-Amzn-ErrorType was not the expected one. */
  throttleTypeMismatches: number;
  /** One 429's X-Amzn-ErrorType, Content-Type and body, as received. */
  throttleSample?: { errorType: string | undefined; contentType: string | undefined; body: string };
}

export interface PacedLoadResult {
  phases: PacedPhaseResult[];
  /** The generator process's own CPU over the run, ms. */
  generatorCpuMs: number;
}

export function summarise(values: number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const s = Float64Array.from(values).sort();
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { count: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] };
}

interface PhaseState {
  phase: PacedPhase;
  started: number;
  ended: number;
  sent: number;
  inFlight: number;
  byStatus: Map<number, number[]>;
  fromSend: Map<number, number[]>;
  lags: number[];
  okBySecond: number[][];
  errors: number;
  mismatches: number;
  sample?: PacedPhaseResult['throttleSample'];
}

async function run(spec: PacedLoadSpec): Promise<PacedLoadResult> {
  const target = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections, maxFreeSockets: spec.connections });
  const states: PhaseState[] = [];
  let stopRequested = false;
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d: string) => {
    if (d.includes('stop')) stopRequested = true;
  });

  const send = (state: PhaseState, due: number) => {
    const sentAt = performance.now();
    state.sent++;
    state.inFlight++;
    state.lags.push(sentAt - due);
    const req = request(
      { host: target.hostname, port: target.port, method: spec.method, path: spec.path, headers: spec.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - due;
          const status = res.statusCode ?? 0;
          let list = state.byStatus.get(status);
          if (!list) state.byStatus.set(status, (list = []));
          list.push(ms);
          if (status === 200) (state.okBySecond[Math.floor((due - state.started) / 1000)] ??= []).push(ms);
          let fromSend = state.fromSend.get(status);
          if (!fromSend) state.fromSend.set(status, (fromSend = []));
          fromSend.push(performance.now() - sentAt);
          if (status === 429 && spec.throttleErrorType) {
            const type = res.headers['x-amzn-errortype'];
            const value = Array.isArray(type) ? type[0] : type;
            if (!value || value.split(':')[0] !== spec.throttleErrorType) state.mismatches++;
            state.sample ??= { errorType: value, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8').slice(0, 300) };
          }
          state.inFlight--;
        });
      },
    );
    req.on('error', () => {
      state.errors++;
      state.inFlight--;
    });
    req.end();
  };

  for (const phase of spec.phases) {
    const state: PhaseState = { phase, started: performance.now(), ended: 0, sent: 0, inFlight: 0, byStatus: new Map(), fromSend: new Map(), lags: [], okBySecond: [], errors: 0, mismatches: 0 };
    states.push(state);
    process.stdout.write(`@@START ${JSON.stringify({ phase: phase.name })}\n`);
    const endAt = phase.seconds === null ? Infinity : state.started + phase.seconds * 1000;
    // A 1 ms timer, not a busy loop: the generator shares the machine with the service. Whatever is due
    // by now is sent now, each with its own due time, so a late timer delays requests but loses none.
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        // Request k is due at k / rate: those due by now, and none due at or after the phase's end.
        const due = now >= endAt ? Math.ceil((phase.seconds ?? 0) * phase.rate) : Math.floor(((now - state.started) / 1000) * phase.rate) + 1;
        while (state.sent < due) send(state, state.started + (state.sent * 1000) / phase.rate);
        if (now >= endAt || (phase.seconds === null && stopRequested)) {
          state.ended = Math.min(now, endAt);
          resolve();
        } else setTimeout(tick, 1);
      };
      tick();
    });
  }

  // Every answer in (or 10 s, after which the stragglers count as errors).
  const deadline = performance.now() + 10_000;
  while (states.some((s) => s.inFlight > 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  agent.destroy();

  const phases = states
    .filter((s) => !s.phase.warmup)
    .map((s): PacedPhaseResult => ({
      name: s.phase.name,
      rate: s.phase.rate,
      seconds: (s.ended - s.started) / 1000,
      sent: s.sent,
      byStatus: Object.fromEntries([...s.byStatus].map(([k, v]) => [String(k), v.length])),
      latencyMs: Object.fromEntries([...s.byStatus].map(([k, v]) => [String(k), summarise(v)])),
      fromSendMs: Object.fromEntries([...s.fromSend].map(([k, v]) => [String(k), summarise(v)])),
      p99ByOkSecond: Array.from(s.okBySecond, (v) => Math.round(summarise(v ?? []).p99 * 100) / 100),
      okAfterFirstSecondMs: summarise(s.okBySecond.slice(1).flatMap((v) => v ?? [])),
      dispatchLagMs: summarise(s.lags),
      errors: s.errors + s.inFlight,
      throttleTypeMismatches: s.mismatches,
      throttleSample: s.sample,
    }));
  const cpu = process.cpuUsage();
  return { phases, generatorCpuMs: (cpu.user + cpu.system) / 1000 };
}

// Run only as the entry point: bench/throttle.ts imports the types and `summarise` from here.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const spec = JSON.parse(process.argv[2]) as PacedLoadSpec;
  const result = await run(spec);
  process.stdout.write(`@@RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}
