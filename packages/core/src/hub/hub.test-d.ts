import { expectTypeOf, test } from 'vitest';
import { createSseStream, type EventMap } from '../sse-stream.js';
import { createHub } from './hub.js';
import { type CURSOR_EVENT, type DENIED_EVENT, type HubSignals, RESET_EVENT } from './signals.js';

type Events = {
  tick: { n: number };
  message: string;
};

test('a typed hub checks event names and payloads', () => {
  const hub = createHub<Events>();
  expectTypeOf(hub.publish('t', { event: 'tick', data: { n: 1 } })).toEqualTypeOf<
    Promise<string>
  >();
  hub.publish('t', { data: 'hello' });
  // @ts-expect-error: wrong payload for tick
  hub.publish('t', { event: 'tick', data: 'no' });
  // @ts-expect-error: unknown event name
  hub.publish('t', { event: 'tock', data: { n: 1 } });
  hub.subscribe(createSseStream(), 'untyped-streams-fit-too');
  hub.subscribe(createSseStream<Events>(), 't', {
    filter: (message) => message.event !== 'tick' || message.data.n > 0,
  });
});

test('an untyped hub takes any event and data', () => {
  const hub = createHub();
  hub.publish('t', { event: 'anything', data: { any: true } });
  hub.subscribe(createSseStream(), ['a', 'b']);
});

test('the hub signals are typed events a client of a subscription sees beside the published ones', () => {
  type Seen = Events & HubSignals;
  expectTypeOf<Seen[typeof RESET_EVENT]>().toEqualTypeOf<'unknown-id' | 'events-lost'>();
  expectTypeOf<Seen[typeof CURSOR_EVENT]>().toEqualTypeOf<''>();
  expectTypeOf<typeof RESET_EVENT>().toEqualTypeOf<'ssekit:reset'>();
  expectTypeOf<typeof CURSOR_EVENT>().toEqualTypeOf<'ssekit:cursor'>();
  expectTypeOf<Seen[typeof DENIED_EVENT]>().toEqualTypeOf<string>();
  expectTypeOf<keyof Seen>().toEqualTypeOf<
    'tick' | 'message' | 'ssekit:reset' | 'ssekit:cursor' | 'ssekit:denied'
  >();
  // The merged map is an event map like any other (what a typed client takes).
  expectTypeOf<Seen>().toExtend<EventMap>();
  const hub = createHub<Events>();
  hub.subscribe(createSseStream<Events>(), 't', { cursor: false });
  // @ts-expect-error: the hub sends its signals itself; a typed hub does not publish them
  hub.publish('t', { event: RESET_EVENT, data: 'unknown-id' });
});

test('authorize gets the context type every subscribe passes', () => {
  type User = { id: string; rooms: string[] };
  const hub = createHub<Events, User>({
    authorize: (topic, user) => user.rooms.includes(topic),
  });
  hub.subscribe(createSseStream<Events>(), 't', { context: { id: 'u1', rooms: ['t'] } });
  // @ts-expect-error: the context is the hub's Context type
  hub.subscribe(createSseStream<Events>(), 't', { context: { id: 42 } });
  createHub<Events, User>({ authorize: async (topic, user) => user.id === topic });
});

test('a publish to a latest-value topic names its key, a string', () => {
  const hub = createHub<Events>({ latestValue: (topic) => topic.startsWith('prices') });
  expectTypeOf(
    hub.publish('prices', { event: 'tick', data: { n: 1 } }, { key: 'AAPL' }),
  ).toEqualTypeOf<Promise<string>>();
  // @ts-expect-error: a key is a string
  hub.publish('prices', { data: 'x' }, { key: 42 });
  // @ts-expect-error: the only option is key
  hub.publish('prices', { data: 'x' }, { kye: 'AAPL' });
  // @ts-expect-error: latestValue is a predicate on topics
  createHub({ latestValue: ['prices'] });
});
