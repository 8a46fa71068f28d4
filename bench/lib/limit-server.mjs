// The limit of the control-plane benchmark: a bare node:http server that reads each request to its end
// and answers the bytes captured from the real service (status, Content-Type, X-Amzn-RequestId, body).
// Whatever profileflow does beyond this is its own cost. Usage: node limit-server.mjs capture.json
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const capture = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const body = Buffer.from(capture.body, 'base64');
const headers = { ...capture.headers, 'content-length': String(body.length) };

const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(capture.status, headers);
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
