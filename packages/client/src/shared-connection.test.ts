/**
 * A following tab's side of the tab-sharing protocol, with this test as the leading tab on a real
 * BroadcastChannel: for what a browser test cannot stage (Chromium's debugger always lets a
 * stopped tab hear one more post). The lock is never granted, so the tab only follows.
 */
import { afterEach, expect, it, vi } from 'vitest';
import type { Host, WireEvent } from './host.js';
import type { ResolvedOptions } from './options.js';
import { shareConnection } from './shared-connection.js';

afterEach(() => vi.unstubAllGlobals());

/** Web Locks whose lock another tab holds for good: a request waits until it is aborted. */
const heldLocks = {
  request: (_name: string, options: { signal?: AbortSignal }) =>
    new Promise((_, reject) => {
      options.signal?.addEventListener('abort', () => reject(options.signal?.reason));
    }),
};

/** The next message of `channel` that `matches`. */
const next = <T>(channel: BroadcastChannel, matches: (data: T) => boolean) =>
  new Promise<T>((resolve) => {
    const listener = ({ data }: MessageEvent<T>) => {
      if (!matches(data)) return;
      channel.removeEventListener('message', listener as EventListener);
      resolve(data);
    };
    channel.addEventListener('message', listener as EventListener);
  });

const price = (n: number): WireEvent => ({ event: 'price', data: `{"n":${n}}`, id: `id${n}` });

it('a tab whose question was answered before it heard any post asks again when the first post it hears follows an id it never had', async () => {
  vi.stubGlobal('navigator', { locks: heldLocks });
  const name = `test-${Math.random()}`;
  const leader = new BroadcastChannel(name);
  const received: WireEvent[] = [];
  let position: string | undefined = 'id10';
  const host: Host = {
    options: { silenceLimit: 1_000, maxRetryDelay: 30_000 } as ResolvedOptions,
    position: () => position,
    receive: (event) => void received.push(event),
    moveTo: (id) => {
      position = id;
    },
    setState: () => {},
  };
  const stop = new AbortController();
  type Hello = { kind: string; tab: string; after?: string };
  const isHello = (data: Hello) => data.kind === 'hello';
  const firstHello = next<Hello>(leader, isHello);
  const following = shareConnection(host, name, stop.signal, () => Promise.resolve(undefined));
  // It joins from 10; the leader is at 10 too: nothing to replay.
  const { tab } = await firstHello;
  leader.postMessage({ kind: 'replay', tab, after: 'id10', events: [] });
  // It misses the leader's posts of 11 to 20; the first it hears is a heartbeat naming 20.
  const secondHello = next<Hello>(leader, isHello);
  leader.postMessage({ kind: 'alive', from: 'leader:1', seq: 20, prev: 'id20' });
  expect(await secondHello).toEqual({ kind: 'hello', tab, after: 'id10' });
  const missed = Array.from({ length: 10 }, (_, index) => price(11 + index));
  leader.postMessage({ kind: 'replay', tab, after: 'id10', events: missed });
  await vi.waitFor(() => expect(received).toHaveLength(10));
  expect(received).toEqual(missed);
  // Each replayed event moved the position before it was handed over.
  expect(position).toBe('id20');
  stop.abort();
  await following;
  leader.close();
});
