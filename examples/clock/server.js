import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { readLastEventId } from '@ssekit/core/adapter';
import { openSseStream } from '@ssekit/core/node';

const page = readFileSync(new URL('./index.html', import.meta.url));

/**
 * The clock: `/` serves the page, `/time` streams the time every `intervalMs`, `ticks` times,
 * then ends the stream.
 */
export function createClockServer({ ticks = 10, intervalMs = 1000 } = {}) {
  return createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else if (req.url === '/time') {
      streamTime(req, res);
    } else {
      res.writeHead(404).end();
    }
  });

  function streamTime(req, res) {
    // Each tick's id is its number, so the browser tells us on reconnect how far it got.
    const seen = Number.parseInt(readLastEventId(req.headers['last-event-id']) ?? '0', 10) || 0;
    if (seen >= ticks) {
      // A browser reconnects whenever a stream ends; any status but 200 stops it for good, and 204
      // says "nothing more" without an error page.
      res.writeHead(204).end();
      return;
    }
    const stream = openSseStream(req, res);
    let tick = seen;
    const timer = setInterval(() => {
      tick += 1;
      stream.send({ id: String(tick), event: 'tick', data: new Date().toISOString() });
      if (tick === ticks) stream.close();
    }, intervalMs);
    stream.closed.then(() => clearInterval(timer));
  }
}
