import { describe, expect, it, vi } from 'vitest';
import { rediscoverOnFailure } from './node-redis-rediscovery.js';

/** A node-redis cluster client's shape as far as rediscovery reads it. */
function fakeCluster(masters: Array<{ client?: { isReady?: boolean; options?: unknown } }>) {
  let finish: () => void = () => {};
  const rediscover = vi.fn(
    () =>
      new Promise<void>((resolve) => {
        finish = resolve;
      }),
  );
  return { cluster: { masters, _slots: { rediscover } }, rediscover, finish: () => finish() };
}

const offline = new Error('The client is offline');

describe('rediscoverOnFailure', () => {
  it('reads the topology from a master that answers when a command fails on a connection', () => {
    const dead = { isReady: false, options: { socket: { port: 1 } } };
    const alive = { isReady: true, options: { socket: { port: 2 } } };
    const { cluster, rediscover } = fakeCluster([{ client: dead }, { client: alive }]);
    rediscoverOnFailure(cluster).failed(offline);
    expect(rediscover).toHaveBeenCalledWith(alive);
  });

  it('starts from any known node when none answers (node-redis then tries its root nodes)', () => {
    const dead = { isReady: false, options: { socket: { port: 1 } } };
    const { cluster, rediscover } = fakeCluster([{}, { client: dead }]);
    rediscoverOnFailure(cluster).failed(offline);
    expect(rediscover).toHaveBeenCalledWith(dead);
  });

  it("does nothing on Redis's own error replies: the node answered", () => {
    const { cluster, rediscover } = fakeCluster([{ client: { isReady: true, options: {} } }]);
    const { failed } = rediscoverOnFailure(cluster);
    for (const message of ['CLUSTERDOWN The cluster is down', 'TRYAGAIN Multiple keys', 'ERR x']) {
      failed(new Error(message));
    }
    expect(rediscover).not.toHaveBeenCalled();
  });

  it('runs one read at a time, and not again right after one', async () => {
    const { cluster, rediscover, finish } = fakeCluster([
      { client: { isReady: true, options: {} } },
    ]);
    const rediscovery = rediscoverOnFailure(cluster);
    rediscovery.failed(offline);
    rediscovery.failed(offline);
    expect(rediscover).toHaveBeenCalledTimes(1);
    const running = rediscovery.running;
    expect(running).toBeInstanceOf(Promise);
    finish();
    await running;
    expect(rediscovery.running).toBeUndefined();
    rediscovery.failed(offline);
    expect(rediscover).toHaveBeenCalledTimes(1);
  });

  it('does nothing on a closed client, or one without a slot map to ask', () => {
    const { cluster, rediscover } = fakeCluster([{ client: { isReady: true, options: {} } }]);
    rediscoverOnFailure({ ...cluster, isOpen: false }).failed(offline);
    expect(rediscover).not.toHaveBeenCalled();
    expect(() => rediscoverOnFailure({ masters: [] }).failed(offline)).not.toThrow();
    expect(() => rediscoverOnFailure({}).failed(offline)).not.toThrow();
  });
});
