import { describe, expect, it } from 'vitest';
import { resolveStreamOptions } from './resolve-stream-options.js';

describe('resolveStreamOptions', () => {
  it('returns the stream options alone, leaving the layer its own keys', () => {
    const serializer = (data: unknown) => String(data);
    const options = { heartbeat: false as const, retry: 10, serializer, onError: () => {} };
    expect(resolveStreamOptions(options, 'sse', ['onError'])).toEqual({
      heartbeat: false,
      retry: 10,
      serializer,
    });
  });

  it('names the layer and the likely spelling of an unknown key', () => {
    expect(() => resolveStreamOptions({ hearbeat: 1 } as never, '@ssekit/koa sse')).toThrow(
      'ssekit: @ssekit/koa sse has no option "hearbeat"; did you mean "heartbeat"?',
    );
    expect(() => resolveStreamOptions({ onErorr: () => {} } as never, 'sse', ['onError'])).toThrow(
      /did you mean "onError"\?/,
    );
  });

  it.each([
    [{ heartbeat: 0 }, /sse "heartbeat" must be a positive whole number/],
    [{ heartbeat: 'often' as never }, /sse "heartbeat" must be a positive whole number/],
    [{ highWaterMark: 1.5 }, /sse "highWaterMark" must be a positive whole number/],
    [{ maxBufferedBytes: -1 }, /sse "maxBufferedBytes" must be a positive whole number/],
    [{ onOverflow: 'block' as never }, /sse "onOverflow" must be 'close' or 'drop'/],
    [{ retry: -5 }, /"retry" must be a non-negative whole number/],
    [{ headers: { connection: 'close' } }, /"connection" must not be set/],
    [{ serializer: 'json' as never }, /sse "serializer" must be a function/],
    [{ headers: { 'content-length': '10' } }, /"content-length" must not be set .*no length/],
  ])('refuses %o with a TypeError naming the option', (options, message) => {
    expect(() => resolveStreamOptions(options, 'sse')).toThrow(TypeError);
    expect(() => resolveStreamOptions(options, 'sse')).toThrow(message);
  });

  it.each([
    [{ signal: 'stop' as never }, /sse "signal" must be an AbortSignal/],
    [{ signal: {} as never }, /sse "signal" must be an AbortSignal/],
    [{ lastEventId: 7 as never }, /sse "lastEventId" must be a string without NUL, CR or LF/],
    [{ lastEventId: 'a\nid: b' }, /sse "lastEventId" must be a string without NUL, CR or LF/],
  ])('refuses %o for one connection with a TypeError naming the option', (options, message) => {
    expect(() => resolveStreamOptions(options, 'sse', [], 'one connection')).toThrow(message);
  });

  it.each([
    [{ signal: new AbortController().signal }, /closes each stream when its client leaves/],
    [{ lastEventId: 'boot' }, /reads each client's Last-Event-ID/],
  ])('refuses %o for every connection of a route: it belongs to one', (options, why) => {
    const check = () => resolveStreamOptions(options, 'sse');
    expect(check).toThrow(TypeError);
    expect(check).toThrow(/sse "(signal|lastEventId)" belongs to one connection/);
    expect(check).toThrow(why);
  });

  it('refuses something other than an options object', () => {
    expect(() => resolveStreamOptions(null as never, 'sse')).toThrow(
      /sse takes an options object, got null/,
    );
  });
});
