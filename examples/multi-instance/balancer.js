/**
 * A tiny round-robin load balancer, standing in for nginx or a cloud balancer: each new request
 * goes to the next instance (counted per path, so that two event-stream connections in a row
 * land on different instances); an instance that refuses the connection is skipped.
 */
import { createServer, request } from 'node:http';

/** Starts the balancer on 127.0.0.1:`port` in front of `targets` (base URLs). */
export async function startBalancer({ port = 0, targets }) {
  const turns = new Map();

  const forward = (req, res, attempt) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const turn = turns.get(path) ?? 0;
    turns.set(path, turn + 1);
    const target = new URL(targets[turn % targets.length]);
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        res.once('close', () => answer.destroy());
      },
    );
    upstream.once('error', () => {
      if (res.headersSent) res.destroy();
      else if (attempt + 1 < targets.length) forward(req, res, attempt + 1);
      else res.writeHead(502).end('no instance is up');
    });
    upstream.end();
  };

  const server = createServer((req, res) => forward(req, res, 0));
  await new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(undefined)));
  return {
    url: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
