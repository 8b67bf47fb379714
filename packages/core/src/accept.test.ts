import { describe, expect, it } from 'vitest';
import { acceptsEventStream, eventStreamAnswer } from './accept.js';

// The wire behaviour of every entry point is pinned in test/conformance (support/admission.ts);
// these are the parsing edges behind it.
describe('acceptsEventStream', () => {
  it.each([
    ['', true],
    ['   ', true],
    ['not a media type', true],
    ['text/event-stream;q=0.000', false],
    ['text/event-stream;q=0.001', true],
    ['text/event-stream;q=abc, application/json', false],
    ['text/event-stream;q=2', true],
    ['text/*;q=0, text/event-stream', true],
    ['text/event-stream;q=0, text/event-stream;q=0.5', true],
    ['*/*, text/*;q=0', false],
    ['application/json;q=1, */*;q=0.1', true],
  ])('%j → %s', (accept, expected) => {
    expect(acceptsEventStream(accept)).toBe(expected);
  });

  it('accepts when there is no header at all', () => {
    expect(acceptsEventStream(undefined)).toBe(true);
    expect(acceptsEventStream(null)).toBe(true);
  });

  it('says to pass the header value when given a request', () => {
    expect(() => acceptsEventStream({ headers: {} } as never)).toThrow(
      /takes the Accept header's value, got object; pass req\.headers\.accept/,
    );
  });
});

describe('eventStreamAnswer', () => {
  it('gives HEAD the headers, refusals 406, and any other method the stream', () => {
    expect(eventStreamAnswer('HEAD', 'text/event-stream')).toBe('headers');
    expect(eventStreamAnswer('head', undefined)).toBe('headers');
    expect(eventStreamAnswer('HEAD', 'application/json')).toBe('not-acceptable');
    expect(eventStreamAnswer('GET', 'application/json')).toBe('not-acceptable');
    expect(eventStreamAnswer('POST', '*/*')).toBe('stream');
    expect(eventStreamAnswer(undefined, undefined)).toBe('stream');
  });
});
