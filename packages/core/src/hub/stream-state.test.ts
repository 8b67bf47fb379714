import { describe, expect, it } from 'vitest';
import { closedListener, whenClosed } from '../closed-listener.js';
import { createSseStream, type EventMap } from '../sse-stream.js';
import { StreamState } from './stream-state.js';
import { Subscription } from './subscription.js';

function stateWithSubscriptions() {
  const closed: StreamState<EventMap>[] = [];
  const state = new StreamState(createSseStream(), { stateClosed: (s) => closed.push(s) });
  const delivery = { filter: undefined, cursor: false };
  const a = new Subscription(state, ['a'], delivery, undefined);
  const b = new Subscription(state, ['b', 'c'], delivery, undefined);
  return { state, a, b, closed };
}

describe('StreamState topics', () => {
  it('holds one topic in its fields, counting the calls that hold it', () => {
    const { state, a } = stateWithSubscriptions();
    expect([state.topicCount, state.addCall('a'), state.releaseCall('a')]).toEqual([
      0,
      false,
      false,
    ]);
    state.holdTopic('a', a);
    expect([state.topicCount, state.subscriptionOf('a'), state.subscriptionOf('b')]).toEqual([
      1,
      a,
      undefined,
    ]);
    expect(state.addCall('a')).toBe(true);
    expect(state.releaseCall('a')).toBe(false);
    expect(state.releaseCall('a')).toBe(true);
    expect([state.dropTopic('b'), state.dropTopic('a'), state.dropTopic('a')]).toEqual([
      undefined,
      a,
      undefined,
    ]);
    expect([state.topicCount, state.topicNames(), [...state.topicSubscriptions()]]).toEqual([
      0,
      [],
      [],
    ]);
  });

  it('keeps each topic and its calls through a second topic, in the order they came', () => {
    const { state, a, b } = stateWithSubscriptions();
    state.holdTopic('a', a);
    state.addCall('a');
    state.holdTopic('b', b);
    state.holdTopic('c', b);
    expect([state.topicCount, state.topicNames(), [...state.topicSubscriptions()]]).toEqual([
      3,
      ['a', 'b', 'c'],
      [a, b, b],
    ]);
    expect([state.releaseCall('a'), state.releaseCall('a'), state.releaseCall('b')]).toEqual([
      false,
      true,
      true,
    ]);
    for (const topic of state.topicNames()) state.dropTopic(topic);
    expect([state.topicCount, state.subscriptionOf('c'), state.addCall('c')]).toEqual([
      0,
      undefined,
      false,
    ]);
  });

  it('tells its owner once its stream closes, when the stream holds it as its listener', async () => {
    const { state, closed } = stateWithSubscriptions();
    state.stream[whenClosed](state);
    expect(state.stream[closedListener]).toBe(state);
    await Promise.resolve();
    expect(closed).toEqual([]);
    state.stream.close();
    await state.stream.closed;
    expect(closed).toEqual([state]);
  });
});
