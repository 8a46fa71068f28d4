// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, top N, as shares of the total.
import { readFileSync } from 'node:fs';

export interface ProfileLine {
  fn: string;
  where: string;
  selfMs: number;
  share: number;
}

export function summariseProfile(file: string, top = 25): { totalMs: number; lines: ProfileLine[]; byPackage: Record<string, number> } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'}\u0000${shortUrl(f.url)}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const byPackage: Record<string, number> = {};
  for (const [key, ms] of self) {
    const where = key.split('\u0000')[1];
    const pkg = packageOf(where);
    byPackage[pkg] = (byPackage[pkg] ?? 0) + ms;
  }
  const lines = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, ms]) => {
      const [fn, where] = key.split('\u0000');
      return { fn, where, selfMs: Math.round(ms), share: Math.round((ms / total) * 1000) / 10 };
    });
  for (const k of Object.keys(byPackage)) byPackage[k] = Math.round((byPackage[k] / total) * 1000) / 10;
  return { totalMs: Math.round(total), lines, byPackage };
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/dist\//, 'dist/');
}

function packageOf(where: string): string {
  if (where.startsWith('node_modules/')) return where.split('/').slice(1, where.split('/')[1].startsWith('@') ? 3 : 2).join('/');
  if (where.startsWith('dist/')) return where.split('/').slice(0, 2).join('/');
  if (where.startsWith('node:')) return 'node internals';
  return where.startsWith(':') ? '(program/gc/native)' : where.split(':')[0] || '(native)';
}

if (process.argv[1]?.endsWith('profile-summary.ts')) {
  const r = summariseProfile(process.argv[2], Number(process.argv[3] ?? 25));
  console.log(`total ${r.totalMs} ms`);
  console.table(r.lines);
  console.table(Object.entries(r.byPackage).sort((a, b) => b[1] - a[1]).slice(0, 15));
}
