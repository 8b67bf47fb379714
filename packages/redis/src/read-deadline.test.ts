import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RedisConnection } from './connection/connection.js';
import { HUNG_AFTER_MS, HungReadError, withReadDeadline } from './read-deadline.js';

/** A connection whose commands settle only when the test says. */
function pendingConnection() {
  const replies: Array<(value: unknown) => void> = [];
  const connection: RedisConnection = {
    isReady: true,
    command: () => new Promise((resolve) => replies.push(resolve)),
    onError: () => () => {},
    duplicate: () => connection,
    connect: () => {},
    destroy: () => {},
  };
  return { connection, reply: (value: unknown) => replies.shift()?.(value) };
}

/** Where `promise` stands after `ms` of fake time. */
async function after(ms: number, promise: Promise<unknown>) {
  const state = { settled: false, error: undefined as unknown, value: undefined as unknown };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error) => Object.assign(state, { settled: true, error }),
  );
  await vi.advanceTimersByTimeAsync(ms);
  // The deadline rejects from setImmediate (not faked), queued before this one.
  await new Promise((resolve) => setImmediate(resolve));
  return state;
}

describe('withReadDeadline', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  it('fails a blocking read that gets no reply within its BLOCK time plus HUNG_AFTER_MS', async () => {
    const { connection } = pendingConnection();
    const read = withReadDeadline(connection).command([
      'XREAD',
      'COUNT',
      '10',
      'BLOCK',
      '200',
      'STREAMS',
      'k',
      '0-0',
    ]);
    expect((await after(200 + HUNG_AFTER_MS - 1, read)).settled).toBe(false);
    const state = await after(1, read);
    expect(state.error).toBeInstanceOf(HungReadError);
    expect(String(state.error)).toMatch(/no reply within 5200 ms/);
  });

  it('gives a command that does not block HUNG_AFTER_MS, whatever its keys are named', async () => {
    const { connection } = pendingConnection();
    const read = withReadDeadline(connection).command([
      'XREAD',
      'STREAMS',
      'BLOCK',
      '9000',
      '0-0',
      '0-0',
    ]);
    expect((await after(HUNG_AFTER_MS - 1, read)).settled).toBe(false);
    expect((await after(1, read)).error).toBeInstanceOf(HungReadError);
  });

  it('keeps the deadline of a BLOCK longer than a timer can wait', async () => {
    const { connection } = pendingConnection();
    const read = withReadDeadline(connection).command([
      'XREAD',
      'BLOCK',
      '2147483647',
      'STREAMS',
      'k',
      '$',
    ]);
    expect((await after(60_000, read)).settled).toBe(false);
  });

  it('passes on a command that throws at once, with no deadline left to fire', async () => {
    const connection: RedisConnection = {
      ...pendingConnection().connection,
      command: () => {
        throw new Error('not connected');
      },
    };
    const state = await after(
      0,
      withReadDeadline(connection).command(['XREAD', 'STREAMS', 'k', '$']),
    );
    expect(String(state.error)).toBe('Error: not connected');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes a reply in time through, and leaves no timer behind', async () => {
    const { connection, reply } = pendingConnection();
    const read = withReadDeadline(connection).command(['XREVRANGE', 'k', '+', '-', 'COUNT', '1']);
    reply(['the reply']);
    expect(await after(0, read)).toEqual({ settled: true, error: undefined, value: ['the reply'] });
    expect(vi.getTimerCount()).toBe(0);
  });
});
