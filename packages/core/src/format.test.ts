import { describe, expect, it } from 'vitest';
import { formatComment, formatEvent } from './format.js';

describe('formatEvent', () => {
  it('writes every field in order and ends with the dispatching blank line', () => {
    expect(formatEvent({ comment: 'c', event: 'tick', id: '7', retry: 500, data: 'hi' })).toBe(
      ': c\nevent: tick\nid: 7\nretry: 500\ndata: hi\n\n',
    );
  });

  it('serializes non-string data with JSON.stringify by default', () => {
    expect(formatEvent({ data: { a: [1, 'x'] } })).toBe('data: {"a":[1,"x"]}\n\n');
    expect(formatEvent({ data: 42 })).toBe('data: 42\n\n');
    expect(formatEvent({ data: null })).toBe('data: null\n\n');
  });

  it('uses a custom serializer for non-string data only', () => {
    const serializer = (value: unknown) => `<${String(value)}>`;
    expect(formatEvent({ data: 5 }, { serializer })).toBe('data: <5>\n\n');
    expect(formatEvent({ data: 'as is' }, { serializer })).toBe('data: as is\n\n');
  });

  it('splits data on CRLF, LF and lone CR into one data line each', () => {
    expect(formatEvent({ data: 'a\r\nb\nc\rd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
    expect(formatEvent({ data: '\n' })).toBe('data: \ndata: \n\n');
  });

  it('still dispatches an empty string', () => {
    expect(formatEvent({ data: '' })).toBe('data: \n\n');
  });

  it('keeps leading spaces of data, which the one space after the colon protects', () => {
    expect(formatEvent({ data: '  indented' })).toBe('data:   indented\n\n');
  });

  it('never emits a byte order mark', () => {
    expect(formatEvent({ data: '\uFEFFx' }).startsWith('\uFEFF')).toBe(false);
    expect(formatComment('x').startsWith('\uFEFF')).toBe(false);
  });

  describe('refuses fields that would inject into the stream', () => {
    // Hono GHSA-p6xx-57qc-3wxr: CR/LF in event, id, retry and comments.
    it.each(['\n', '\r', '\r\n'])('rejects %j in event, id and comment', (breaker) => {
      expect(() => formatEvent({ event: `a${breaker}data: injected`, data: 'x' })).toThrow(
        /"event" must not contain CR or LF/,
      );
      expect(() => formatEvent({ id: `1${breaker}event: evil`, data: 'x' })).toThrow(
        /"id" must not contain CR or LF/,
      );
      expect(() => formatEvent({ comment: `c${breaker}data: injected` })).toThrow(
        /"comment" must not contain CR or LF/,
      );
    });

    // A lone surrogate goes out as U+FFFD: the client would hold another id or event name.
    it.each(['\uD800', 'a\uDFFFb', '\uDBFF'])(
      'rejects the lone surrogate in %j in event and id',
      (text) => {
        for (const field of ['event', 'id'] as const) {
          expect(() => formatEvent({ [field]: text, data: 'x' })).toThrow(
            expect.objectContaining({
              name: 'TypeError',
              code: 'ERR_SSE_INVALID_FIELD',
              message: expect.stringMatching(
                new RegExp(`"${field}" holds half of a UTF-16 surrogate pair.*toWellFormed`),
              ),
            }),
          );
        }
        expect(formatEvent({ comment: text })).toBe(`: ${text}\n\n`);
        expect(formatEvent({ event: 'ok 🎉', id: '🎉', data: 'x' })).toBe(
          'event: ok 🎉\nid: 🎉\ndata: x\n\n',
        );
      },
    );

    it('rejects a retry that is not a non-negative safe integer', () => {
      for (const retry of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        expect(() => formatEvent({ retry })).toThrow(TypeError);
      }
      expect(() => formatEvent({ retry: '10\ndata: x' as unknown as number })).toThrow(
        /"retry" must be a non-negative whole number/,
      );
      expect(formatEvent({ retry: 0 })).toBe('retry: 0\n\n');
    });

    it('rejects NUL in an id, which clients would ignore', () => {
      expect(() => formatEvent({ id: 'a\0b' })).toThrow(/"id" must not contain NUL/);
    });

    // h3 GHSA-4hxc-9384-m385: a lone CR in data ended the line early and let data inject fields.
    it('turns a lone CR in data into a new data line, never a new field', () => {
      expect(formatEvent({ data: 'x\revent: evil\rid: 666' })).toBe(
        'data: x\ndata: event: evil\ndata: id: 666\n\n',
      );
    });

    it('rejects non-string fields with a TypeError naming the field', () => {
      expect(() => formatEvent({ event: 5 as unknown as string })).toThrow(
        /"event" must be a string/,
      );
      expect(() => formatEvent(null as never)).toThrow(/the message must be an object/);
    });
  });

  describe('serializer failures', () => {
    it('reports a circular object as a TypeError with the cause', () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const error = captureError(() => formatEvent({ data: circular }));
      expect(error).toBeInstanceOf(TypeError);
      expect(String(error)).toMatch(/serializer threw/);
      expect((error as TypeError).cause).toBeInstanceOf(Error);
    });

    it('reports a BigInt', () => {
      expect(() => formatEvent({ data: 10n })).toThrow(/serializer threw/);
    });

    it('reports a serializer that returns a non-string', () => {
      expect(() => formatEvent({ data: () => 1 })).toThrow(
        /returned undefined instead of a string/,
      );
      expect(() => formatEvent({ data: 1 }, { serializer: () => 2 as unknown as string })).toThrow(
        /returned number 2/,
      );
    });
  });
});

describe('formatComment', () => {
  it('writes a comment line and a blank line', () => {
    expect(formatComment()).toBe(':\n\n');
    expect(formatComment('keep-alive')).toBe(': keep-alive\n\n');
  });
});

function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
