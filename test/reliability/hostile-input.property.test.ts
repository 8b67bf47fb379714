/**
 * Fuzzing what a client and a careless caller control. `SSEKIT_PROPERTY_RUNS` sets the number of
 * cases (the soak runs 20,000; the default run stays small).
 * - Any Last-Event-ID header (any latin1 bytes) and any lastEventId query give either nothing or
 *   a capped id without CR, LF or NUL, and never throw.
 * - Any sequence of messages, valid or not, sent to one stream: the invalid ones throw a
 *   TypeError and leave no trace; a real parser reads back exactly the valid ones.
 */
import type { SseMessage } from '@ssekit/core';
import { createSseStream, readLastEventId } from '@ssekit/core/adapter';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// Internal, so from the source: no entry exports the cap, the tests hold it.
import { MAX_LAST_EVENT_ID_LENGTH } from '../../packages/core/src/last-event-id.js';

const numRuns = Number(process.env.SSEKIT_PROPERTY_RUNS ?? 200);

/** Header values as Node hands them over: one latin1 character per byte, any byte. */
const headerValue = fc
  .array(
    fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0d, 0x0a, 0x00, 0xc3, 0xa9)),
    { maxLength: 1100 },
  )
  .map((bytes) => String.fromCharCode(...bytes));

const queryValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 1100 }).map(encodeURIComponent),
  fc.constantFrom('%0A', '%0D%0A', '%00', '%FF', 'a'.repeat(MAX_LAST_EVENT_ID_LENGTH + 1)),
);

function isSafeId(id: string | undefined): boolean {
  return (
    id === undefined ||
    (id.length > 0 && id.length <= MAX_LAST_EVENT_ID_LENGTH && !/[\r\n\0]/.test(id))
  );
}

describe('Last-Event-ID from any header bytes and any query', () => {
  it('is absent or a capped id without CR, LF or NUL, and never throws', () => {
    fc.assert(
      fc.property(fc.option(headerValue), fc.option(queryValue), (header, query) => {
        const url =
          query === null
            ? 'http://127.0.0.1/events'
            : `http://127.0.0.1/events?lastEventId=${query}`;
        const id = readLastEventId(header, url);
        expect(isSafeId(id)).toBe(true);
      }),
      { numRuns },
    );
  });
});

/** Text that may hold anything, line breaks and NUL included. */
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const fieldText = fc.oneof(anyText, fc.constantFrom('x\ny', 'x\r', '\r\n', 'a\0b', ''));

const anyMessage: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      event: fieldText,
      id: fieldText,
      comment: fieldText,
      retry: fc.oneof(fc.nat(), fc.constantFrom(-1, 1.5, Number.NaN)),
      data: fc.oneof(anyText, fc.jsonValue(), fc.constant(10n)),
    },
    { requiredKeys: [] },
  ),
  fc.constantFrom(null, 'data: x\n\n', 42),
);

describe('a stream fed any sequence of messages', () => {
  it('delivers exactly the valid ones, each intact, to a real parser', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyMessage, { maxLength: 12 }), async (messages) => {
        const stream = createSseStream({ heartbeat: false });
        const expected: EventSourceMessage[] = [];
        for (const message of messages) {
          let accepted = true;
          try {
            stream.send(message as SseMessage);
          } catch (error) {
            expect(error).toBeInstanceOf(TypeError);
            accepted = false;
          }
          const candidate = message as SseMessage;
          if (accepted && candidate.data !== undefined) {
            const data =
              typeof candidate.data === 'string' ? candidate.data : JSON.stringify(candidate.data);
            expected.push({
              event: candidate.event || undefined,
              id: candidate.id,
              data: data.replace(/\r\n|\r/g, '\n'),
            });
          }
        }
        stream.send({ event: 'end', data: 'end' });
        stream.close();
        const received: EventSourceMessage[] = [];
        const parser = createParser({ onEvent: (event) => received.push(event) });
        const decoder = new TextDecoder();
        for await (const chunk of stream.readable)
          parser.feed(decoder.decode(chunk, { stream: true }));
        expect(received.at(-1)).toEqual({ event: 'end', data: 'end' });
        expect(received.slice(0, -1)).toEqual(expected);
      }),
      { numRuns },
    );
  });
});
