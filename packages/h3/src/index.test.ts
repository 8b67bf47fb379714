import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { H3 } from 'h3';
import { describe, expect, it } from 'vitest';
import { defineSseHandler, type SseStream, sseResponse } from './index.js';

const SSE = { accept: 'text/event-stream' };

/** Reads `count` events from a response body, parsed by eventsource-parser, then cancels. */
async function readEvents(response: Response, count: number): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  await reader.cancel();
  return events;
}

describe('through app.fetch(new Request(...))', () => {
  it('answers with the event stream and a re-decoded non-ASCII Last-Event-ID', async () => {
    const app = new H3().get(
      '/events',
      defineSseHandler((_event, stream) => {
        stream.send({ data: stream.lastEventId ?? '(none)' });
      }),
    );
    const utf8AsLatin1 = Buffer.from('évènement-✓', 'utf8').toString('latin1');
    const response = await app.fetch(
      new Request('http://localhost/events', {
        headers: { ...SSE, 'last-event-id': utf8AsLatin1 },
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect((await readEvents(response, 1))[0]?.data).toBe('évènement-✓');
  });

  it('closes the stream when the request signal aborts', async () => {
    let opened: SseStream | undefined;
    const app = new H3().get(
      '/events',
      defineSseHandler((_event, stream) => {
        opened = stream;
      }),
    );
    const controller = new AbortController();
    const response = await app.fetch(
      new Request('http://localhost/events', { headers: SSE, signal: controller.signal }),
    );
    expect(response.status).toBe(200);
    expect(opened?.isClosed).toBe(false);
    controller.abort();
    await opened?.closed;
    expect(opened?.isClosed).toBe(true);
  });

  it('does not hang when the handler awaits a write before returning (h3 #944)', async () => {
    const app = new H3().get('/events', (event) =>
      sseResponse(
        event,
        async (_event, stream) => {
          await stream.write({ data: 'x'.repeat(4096) });
          stream.send({ data: 'after the wait' });
        },
        { highWaterMark: 1024, heartbeat: false },
      ),
    );
    const response = await app.fetch(new Request('http://localhost/events', { headers: SSE }));
    const events = await readEvents(response, 2);
    expect(events[1]?.data).toBe('after the wait');
  });

  it('lets a route answer 401 before opening, with sseResponse', async () => {
    const app = new H3().get('/events', (event) => {
      if (!event.req.headers.has('authorization'))
        return Response.json({ error: 'unauthorized' }, { status: 401 });
      return sseResponse(event, (_event, stream) => stream.close());
    });
    const response = await app.fetch(new Request('http://localhost/events', { headers: SSE }));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'unauthorized' });
  });
});

it('rejects an invalid option when the handler is defined', () => {
  expect(() => defineSseHandler(() => {}, { retry: -1 })).toThrow(/"retry"/);
  expect(() => defineSseHandler(() => {}, { heartbeat: 1.5 })).toThrow(/"heartbeat"/);
});

describe('option checks', () => {
  it('defineSseHandler refuses a handler that is not a function where the route is defined', () => {
    expect(() => defineSseHandler(undefined as never)).toThrow(
      /defineSseHandler "handler" must be a function/,
    );
  });

  it('defineSseHandler rejects a misspelled option, naming it and the fix', () => {
    const call = () => defineSseHandler(() => {}, { onOverflo: 'drop' } as never);
    expect(call).toThrow(TypeError);
    expect(call).toThrow(
      'ssekit: defineSseHandler has no option "onOverflo"; did you mean "onOverflow"?',
    );
  });

  it('defineSseHandler rejects an onError that is not a function', () => {
    expect(() => defineSseHandler(() => {}, { onError: 1 as never })).toThrow(
      /"onError" must be a function/,
    );
  });

  it('accepts every documented option', () => {
    defineSseHandler(() => {}, { onError: () => {}, heartbeat: false, retry: 10 });
  });
});
