import { connect, type Socket } from 'node:net';

/** What came back on a raw socket: the status line's code (0 when the server closed without answering) and the whole text. */
export interface SocketAnswer {
  status: number;
  text: string;
}

/**
 * Sends `request` byte for byte on a new connection and reads until the server closes it (the request
 * should say `Connection: close`) or `timeoutMs` passes. No client normalises anything on the way: the
 * request target arrives exactly as written (percent-encoding, absolute form, dot segments).
 */
export function rawRequest(port: number, request: string, timeoutMs = 5000): Promise<SocketAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${request.split('\r\n')[0]}`));
    }, timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text });
    });
    socket.write(request);
  });
}

/** A request line and headers (Host and Connection: close added), then `body` if given. */
export function httpRequest(method: string, target: string, headers: Record<string, string> = {}, body?: string): string {
  const all = { host: '127.0.0.1', connection: 'close', ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) };
  return `${method} ${target} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body ?? ''}`;
}

/** Opens a connection and leaves it as the caller wants it; resolves when connected. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves true when the server closes `socket` within `timeoutMs`, false otherwise. */
export function closedWithin(socket: Socket, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readyState === 'closed') return resolve(true);
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.on('error', () => undefined);
    // A paused socket never reads the server's FIN, so it would never see the close.
    socket.resume();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
