import { createSseResponse } from '@ssekit/core';

Deno.serve(
  {
    port: Number(Deno.env.get('PORT') ?? 3000),
    hostname: '127.0.0.1',
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
  },
  (request) =>
    createSseResponse(request, (stream) => {
      const tick = () => stream.send({ event: 'time', data: new Date().toISOString() });
      tick();
      const timer = setInterval(tick, 1000);
      stream.closed.then(() => clearInterval(timer)); // the client left
    }),
);
