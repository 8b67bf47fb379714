// A hub server in its own process, so a test can stop it (SIGSTOP) as a frozen VM or a stalled
// machine does. From the first request on, publishes a price every 50 ms (n = 1, 2, ...);
// heartbeats every 100 ms. Loads the built @ssekit/core. Prints {"url": ...} once listening on
// 127.0.0.1.
import http from 'node:http';
import { createHub } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';

const hub = createHub();
let n = 0;
let timer;
const server = http.createServer((req, res) => {
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
