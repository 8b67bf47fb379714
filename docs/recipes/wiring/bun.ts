import { createSseResponse } from '@ssekit/core';

const server = Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  hostname: '127.0.0.1',
  fetch: (request) =>
    createSseResponse(request, (stream) => {
      const tick = () => stream.send({ event: 'time', data: new Date().toISOString() });
      tick();
      const timer = setInterval(tick, 1000);
      stream.closed.then(() => clearInterval(timer)); // the client left
    }),
});
console.log(`listening on http://127.0.0.1:${server.port}`);
