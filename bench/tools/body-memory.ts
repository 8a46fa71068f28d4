// Diagnostic, not a benchmark: a served process (dist/bundle, so `npm run build` first) made to hold
// request bodies. Opens N connections, each sending all but the last byte of a PutProfileObject body of
// SIZE bytes, and prints the process's RSS and how many were refused before their body was read.
// Run: node --import tsx bench/tools/body-memory.ts [--connections 100] [--bytes 8387584] [--body-memory-mb 256]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '../lib/common.js';

const flags = parseFlags(process.argv.slice(2));
const connections = Number(flags.connections ?? 100);
const bytes = Number(flags.bytes ?? 8 * 1024 * 1024 - 1024);
const budget = flags['body-memory-mb'] === undefined ? [] : ['--body-memory-mb', String(flags['body-memory-mb'])];

const dir = mkdtempSync(join(tmpdir(), 'pf-body-memory-'));
const child = spawn('node', ['dist/bundle/profileflow.js', 'serve', '--port', '0', '--data-dir', dir, '--request-timeout-ms', '120000', ...budget], { stdio: ['ignore', 'pipe', 'inherit'] });
const port: number = await new Promise((resolve) => {
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
});
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
const idle = rssMb();
const body = Buffer.alloc(bytes - 1, ' ');
const sockets: Socket[] = [];
let refused = 0;
for (let i = 0; i < connections; i++) {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.on('data', (c: Buffer) => {
    if (/^HTTP\/1\.1 429 /.test(c.toString())) refused++;
  });
  socket.on('error', () => undefined);
  // Seven accounts, as several tenants would be.
  socket.write(
    `PUT /domains/d${i}/profiles/objects HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
      `authorization: AWS4-HMAC-SHA256 Credential=${100000000000 + (i % 7)}/20261207/us-east-1/profile/aws4_request, SignedHeaders=host, Signature=0\r\n` +
      `content-length: ${bytes}\r\n\r\n`,
  );
  socket.write(body);
  sockets.push(socket);
}
let peak = 0;
for (let t = 0; t < 30; t++) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  peak = Math.max(peak, rssMb());
}
process.stdout.write(`${connections} bodies of ${(bytes / 1048576).toFixed(1)} MiB held: RSS ${Math.round(idle)} MB idle, peak ${Math.round(peak)} MB; ${refused} refused (429) before their last byte\n`);
for (const s of sockets) s.destroy();
child.kill();
rmSync(dir, { recursive: true, force: true });
