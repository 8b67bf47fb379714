import { expectTypeOf, test } from 'vitest';
import { createSseStream } from '../sse-stream.js';
import { createHub } from './hub.js';

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
