// Load from a separate process on loopback: wrk (Debian package), one thread, driven by a generated Lua
// script that cycles through the request paths given and prints its summary as JSON. The limit server is
// a bare node:http process answering the captured bytes, measured with the identical wrk invocation.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './common.js';

export interface LoadSpec {
  method: 'GET' | 'POST';
  /** Paths (with query) cycled through in order, one per request. */
  paths: string[];
  body?: string;
  headers?: Record<string, string>;
  connections?: number;
  durationS?: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  /** Non-2xx/3xx answers, connect/read/write errors and timeouts: a valid run has none. */
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  bytesPerResponse: number;
}

function luaString(s: string): string {
  return `[==[${s}]==]`;
}

function luaScript(spec: LoadSpec, pathsFile: string): string {
  const headers = Object.entries(spec.headers ?? {})
    .map(([k, v]) => `[ ${luaString(k)} ] = ${luaString(v)}`)
    .join(', ');
  return `
local paths = {}
for line in io.lines(${luaString(pathsFile)}) do paths[#paths + 1] = line end
local method = "${spec.method}"
local body = ${spec.body === undefined ? 'nil' : luaString(spec.body)}
local headers = { ${headers} }
local i = 0
local requests = {}
-- Formatted in init: only then does wrk.headers hold the Host header that wrk.format copies in.
init = function(_)
  for k, p in ipairs(paths) do requests[k] = wrk.format(method, p, headers, body) end
end
request = function()
  i = i % #requests + 1
  return requests[i]
end
done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format('@@RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"errors":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;
}

/** Runs wrk -t1 -c<connections> -d<duration>s against `base` (http://host:port). */
export function runWrk(base: string, spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-wrk-'));
  const pathsFile = join(dir, 'paths.txt');
  writeFileSync(pathsFile, `${spec.paths.join('\n')}\n`);
  const script = join(dir, 'script.lua');
  writeFileSync(script, luaScript(spec, pathsFile));
  const args = ['-t1', `-c${spec.connections ?? 16}`, `-d${spec.durationS ?? 10}s`, '--timeout', '10s', '-s', script, base];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { maxBuffer: 1 << 22 }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return reject(new Error('wrk is not installed: apt-get install wrk (Debian)'));
      if (err) return reject(new Error(`wrk failed: ${err.message} ${stderr}`));
      const line = /@@RESULT (.*)/.exec(stdout);
      if (!line) return reject(new Error(`wrk printed no result: ${stdout} ${stderr}`));
      const r = JSON.parse(line[1]);
      resolve({
        requests: r.requests,
        rps: r.requests / (r.duration_us / 1e6),
        errors: r.errors,
        latencyMs: { p50: r.p50 / 1000, p90: r.p90 / 1000, p99: r.p99 / 1000, max: r.max / 1000 },
        bytesPerResponse: r.requests ? Math.round(r.bytes / r.requests) : 0,
      });
    });
  });
}

export interface Capture {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface LimitServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Spawns bench/lib/limit-server.mjs serving exactly `capture` (status, content type, request id, body). */
export function startLimitServer(capture: Capture): Promise<LimitServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-limit-'));
  const file = join(dir, 'capture.json');
  const keep = ['content-type', 'x-amzn-requestid'];
  const headers = Object.fromEntries(Object.entries(capture.headers).filter(([k]) => keep.includes(k)));
  writeFileSync(file, JSON.stringify({ status: capture.status, headers, body: capture.body.toString('base64') }));
  return spawnServer('limit-server.mjs', file);
}

/** Spawns one of bench/lib's bare servers with its config file and waits for its "listening on" line. */
export function spawnServer(script: string, configFile: string, nodeArgs: string[] = []): Promise<LimitServer> {
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'bench', 'lib', script), configFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        resolve({
          url: m[1],
          pid: child.pid!,
          stop: () =>
            new Promise<void>((r) => {
              child.once('exit', () => r());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}
