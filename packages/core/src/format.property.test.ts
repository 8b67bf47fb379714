import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventMessage, formatEvent } from './format.js';
import { createSseStream } from './sse-stream.js';

/** `npm run soak` raises this to fuzz much harder; CI runs the default. */
const numRuns = Number(process.env.SSEKIT_PROPERTY_RUNS ?? 300);

interface Parsed {
  events: EventSourceMessage[];
  retries: number[];
  comments: string[];
}

function parseInChunks(chunks: string[]): Parsed {
  const parsed: Parsed = { events: [], retries: [], comments: [] };
  const parser = createParser({
    onEvent: (event) => parsed.events.push(event),
    onRetry: (retry) => parsed.retries.push(retry),
    onComment: (comment) => parsed.comments.push(comment),
  });
  for (const chunk of chunks) parser.feed(chunk);
  return parsed;
}

function splitAt<T extends { slice(start?: number, end?: number): T; length: number }>(
  whole: T,
  cuts: number[],
): T[] {
  const points = [...new Set(cuts.map((cut) => cut % (whole.length + 1)))].sort((a, b) => a - b);
  const pieces: T[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(whole.slice(start, point));
    start = point;
  }
  pieces.push(whole.slice(start));
  return pieces;
}

const anyText = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({
    unit: fc.constantFrom('\r', '\n', '\r\n', ' ', ':', '\0', 'a', '\uD800', '\uDC00', 'é', '😀'),
  }),
);
const singleLine = anyText.map((text) => text.replace(/[\r\n]/g, ''));
/** Event names and ids are refused with a lone surrogate: they would arrive as another string. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/gu;
const wellFormedLine = singleLine.map((text) => text.replace(LONE_SURROGATE, '\uFFFD'));
const validMessage: fc.Arbitrary<EventMessage> = fc.record(
  {
    data: fc.oneof(anyText, fc.jsonValue()),
    event: wellFormedLine,
    id: wellFormedLine.map((text) => text.replace(/\0/g, '')),
    retry: fc.nat(),
    comment: singleLine,
  },
  { requiredKeys: [] },
);

/** What a spec-compliant client must see for a valid message (documented exceptions applied). */
function expectRoundTrip(message: EventMessage, parsed: Parsed, decodesBytes: boolean): void {
  // ignoreBOM: a U+FEFF inside a field (an id of just U+FEFF, say) is content, not a byte-order
  // mark, and must arrive as sent.
  const wellFormed = (text: string) =>
    decodesBytes
      ? new TextDecoder('utf-8', { ignoreBOM: true }).decode(new TextEncoder().encode(text))
      : text;
  if (message.data === undefined) {
    expect(parsed.events).toEqual([]);
  } else {
    const text = typeof message.data === 'string' ? message.data : JSON.stringify(message.data);
    expect(parsed.events).toHaveLength(1);
    const [event] = parsed.events as [EventSourceMessage];
    // Documented: CR and CRLF inside data arrive as LF; lone surrogates in data and comments as
    // U+FFFD once encoded.
    expect(event.data).toBe(wellFormed(text.replace(/\r\n|\r/g, '\n')));
    expect(event.event).toBe(message.event ? wellFormed(message.event) : undefined);
    expect(event.id).toBe(message.id === undefined ? undefined : wellFormed(message.id));
  }
  expect(parsed.retries).toEqual(message.retry === undefined ? [] : [message.retry]);
  expect(parsed.comments).toEqual(
    message.comment === undefined ? [] : [wellFormed(message.comment)],
  );
}

/** Sending `value` as the message's `name` field throws a TypeError, and nothing is queued. */
function refusesField(name: string, value: string): void {
  const stream = createSseStream({ heartbeat: false });
  expect(() => stream.send({ data: 'x', [name]: value })).toThrow(TypeError);
  expect(stream.bufferedBytes).toBe(0);
  stream.close();
}

describe('round trip through a real parser (eventsource-parser)', () => {
  it('formatEvent output parses back to the same message, whatever the chunking', () => {
    fc.assert(
      fc.property(validMessage, fc.array(fc.nat(), { maxLength: 8 }), (message, cuts) => {
        const text = formatEvent(message);
        expectRoundTrip(message, parseInChunks(splitAt(text, cuts)), false);
      }),
      { numRuns },
    );
  });

  it('SseStream bytes parse back to the same message, split at any byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        validMessage,
        fc.array(fc.nat(), { maxLength: 8 }),
        async (message, cuts) => {
          const stream = createSseStream({ heartbeat: false });
          stream.send(message);
          stream.close();
          const bytes = new Uint8Array(await new Response(stream.readable).arrayBuffer());
          const decoder = new TextDecoder();
          const chunks = splitAt(bytes, cuts).map((piece) =>
            decoder.decode(piece, { stream: true }),
          );
          expectRoundTrip(message, parseInChunks(chunks), true);
        },
      ),
      // Found by a CI run: an id of just U+FEFF arrives intact (it is not a byte-order mark).
      { numRuns, examples: [[{ data: [], id: '\uFEFF' }, []]] },
    );
  });

  it('a message with a lone surrogate in event or id throws and writes nothing', () => {
    const field = fc.constantFrom('event', 'id');
    const broken = fc
      .tuple(singleLine, fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF'), singleLine)
      .map(([a, half, b]) => `${a}${half}${b}`)
      .filter((text) => text.replace(LONE_SURROGATE, '') !== text);
    fc.assert(fc.property(field, broken, refusesField), { numRuns });
  });

  it('a message with a line break in event, id or comment throws and writes nothing', () => {
    const field = fc.constantFrom('event', 'id', 'comment');
    const broken = fc
      .tuple(anyText, fc.constantFrom('\r', '\n', '\r\n'), anyText)
      .map(([a, breaker, b]) => `${a}${breaker}${b}`);
    fc.assert(fc.property(field, broken, refusesField), { numRuns });
  });
});
