// app/time/route.ts
import { createSseResponse } from '@ssekit/core';

export const runtime = 'nodejs'; // a long-lived stream, not an edge function
export const dynamic = 'force-dynamic'; // never cached or prerendered

export function GET(request: Request): Response {
  return createSseResponse(request, (stream) => {
    const tick = () => stream.send({ event: 'time', data: new Date().toISOString() });
    tick();
    const timer = setInterval(tick, 1000);
    stream.closed.then(() => clearInterval(timer)); // the client left
  });
}
