// A hub server in its own process, so a test can stop it (SIGSTOP) as a frozen VM or a stalled
// machine does. From the first stream on, publishes a price every 50 ms (n = 1, 2, ...);
// heartbeats every 100 ms. Loads the built @ssekit/core. Prints {"url": ...} once listening on
// 127.0.0.1. Given a folder as its argument, it also serves that folder's `index.html` at `/`
// and `client.js` (a browser test's page and bundle, so they share the stream's origin).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { createHub } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';

const pageFolder = process.argv[2];
const FILES = { '/': ['index.html', 'text/html'], '/client.js': ['client.js', 'text/javascript'] };

const hub = createHub();
let n = 0;
let timer;
const server = http.createServer((req, res) => {
  const file = pageFolder === undefined ? undefined : FILES[req.url];
  if (file !== undefined) {
    res.writeHead(200, { 'content-type': file[1] }).end(readFileSync(join(pageFolder, file[0])));
    return;
  }
  if (req.url !== '/events') {
    res.writeHead(404).end();
    return;
  }
  hub.subscribe(openSseStream(req, res, { heartbeat: 100 }), 'prices');
  timer ??= setInterval(() => {
    n += 1;
    hub.publish('prices', { event: 'price', data: { symbol: 'A', n } });
    if (n >= 1000) clearInterval(timer);
  }, 50);
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/events` }));
});
