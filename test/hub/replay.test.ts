import { CURSOR_EVENT, createHub, type Hub, memoryHistory, RESET_EVENT } from '@ssekit/core';
import { type Broker, localBroker } from '@ssekit/core/broker';
import { describe, expect, it } from 'vitest';
import { sleep, until } from '../support/wait.js';
import { laggyDelivery, slowReplay } from './support/brokers.js';
import {
  eventSourceClient,
  type FetchReader,
  fetchReader,
  range,
  sequence,
} from './support/clients.js';
import { hubTest } from './support/fixture.js';

const { readers, sources, serve } = hubTest();

/** Publishes `{ seq }` 1..count on topic `t`, pausing a millisecond every few events. */
async function publishMany(target: Hub, count: number, topic = 't'): Promise<void> {
  for (let seq = 1; seq <= count; seq++) {
    await target.publish(topic, { data: { seq } });
    if (seq % 4 === 0) await sleep(1);
  }
}

function lastId(reader: FetchReader): string | undefined {
  for (let i = reader.events.length - 1; i >= 0; i--) {
    const id = reader.events[i]?.id;
    if (id !== undefined) return id;
  }
  return undefined;
}

/** Room for every event of a test, so only the merge is under test, never eviction. */
const roomy = () => localBroker({ history: memoryHistory({ maxEvents: 5000 }) });

const brokers: Array<[string, () => Broker]> = [
  ['the in-process broker', roomy],
  ['a broker whose replay starts late and pages slowly', () => slowReplay(roomy(), 15)],
  ['a broker whose live delivery lags publish', () => laggyDelivery(roomy(), 3)],
];

describe.each(brokers)('replay after a disconnect, with %s', (_name, makeBroker) => {
  it('loses nothing and repeats nothing while publishes continue (fetch reader)', async () => {
    const { hub, server } = await serve({ broker: makeBroker() });
    const total = 1200;
    let reader = fetchReader(server.url);
    readers.push(reader);
    await until(() => reader.events.length > 0, 'the cursor');
    const publishing = publishMany(hub, total);
    const received: number[] = [];
    const have = () => received.length + sequence(reader.events).length;
    let rounds = 0;
    while (rounds < 6 && have() < total - 40) {
      const seen = have();
      await until(
        () => have() >= seen + 40,
        () => `more events, have ${have()}`,
      );
      reader.abort();
      await reader.done;
      received.push(...sequence(reader.events));
      reader = fetchReader(server.url, lastId(reader));
      readers.push(reader);
      rounds += 1;
    }
    await publishing;
    await until(
      () => have() >= total,
      () => `all ${total} events, have ${have()}`,
    );
    received.push(...sequence(reader.events));
    expect(rounds).toBeGreaterThan(1);
    expect(received).toEqual(range(1, total));
    expect(reader.events.some((event) => event.event === RESET_EVENT)).toBe(false);
    expect(hub.stats().replaysServed).toBeGreaterThanOrEqual(1);
  });
  it('merges a replay with events published while it runs (reconnect by id)', async () => {
    const { hub, server } = await serve({ broker: makeBroker() });
    const ids: string[] = [];
    for (let seq = 1; seq <= 100; seq++) ids.push(await hub.publish('t', { data: { seq } }));
    const reader = fetchReader(server.url, ids[49]);
    readers.push(reader);
    for (let seq = 101; seq <= 300; seq++) {
      await hub.publish('t', { data: { seq } });
      if (seq % 2 === 0) await sleep(1);
    }
    await until(
      () => sequence(reader.events).length >= 250,
      () => `250 events, have ${sequence(reader.events).length}`,
    );
    await sleep(50);
    expect(sequence(reader.events)).toEqual(range(51, 300));
    expect(hub.stats().replaysServed).toBe(1);
  });
});

describe('replay with the eventsource package reconnecting by itself', () => {
  it('gets every event exactly once when the server keeps dropping it', async () => {
    const { hub, server } = await serve();
    const source = eventSourceClient(server.url);
    sources.push(source);
    await until(() => hub.stats().openStreams === 1, 'the first connection');
    const total = 800;
    const publishing = publishMany(hub, total);
    let drops = 0;
    while (source.events.length < total && drops < 8) {
      const count = source.events.length;
      await until(() => source.events.length >= Math.min(total, count + 60), 'more events');
      const open = server.streams.filter((stream) => !stream.isClosed);
      for (const stream of open) stream.close();
      drops += 1;
    }
    await publishing;
    await until(
      () => source.events.length >= total,
      () => `${total} events, have ${source.events.length}`,
    );
    expect(sequence(source.events)).toEqual(range(1, total));
    expect(source.opens()).toBeGreaterThan(1);
    expect(server.lastEventIds.slice(1).every((id) => id !== undefined)).toBe(true);
  });
});

describe('the reset signal', () => {
  it('answers a malformed id with ssekit:reset carrying a position, then goes live', async () => {
    const { hub, server } = await serve();
    await hub.publish('t', { data: { seq: 0 } });
    const reader = fetchReader(server.url, 'not-an-id');
    readers.push(reader);
    await until(() => reader.events.length === 1, 'the reset');
    const [reset] = reader.events;
    expect(reset?.event).toBe(RESET_EVENT);
    expect(reset?.data).toBe('unknown-id');
    expect(reset?.id).toMatch(/^\d+-\d+$/);
    await hub.publish('t', { data: { seq: 1 } });
    await until(() => reader.events.length === 2, 'the live event');
    expect(sequence(reader.events)).toEqual([1]);
    expect(hub.stats().resetsSent).toBe(1);

    const resumed = fetchReader(server.url, reset?.id);
    readers.push(resumed);
    await until(() => resumed.events.length === 1, 'the replay from the reset position');
    expect(sequence(resumed.events)).toEqual([1]);
    expect(hub.stats().resetsSent).toBe(1);
  });

  it('treats an id from before a restart as unknown, never as a position', async () => {
    const before = createHub();
    await before.publish('t', { data: { seq: 1 } });
    const oldId = await before.publish('t', { data: { seq: 2 } });
    await before.close();
    const { hub, server } = await serve();
    for (let seq = 1; seq <= 3; seq++) await hub.publish('t', { data: { seq } });
    const reader = fetchReader(server.url, oldId);
    readers.push(reader);
    await until(() => reader.events.length === 1, 'the reset');
    expect(reader.events[0]?.event).toBe(RESET_EVENT);
  });

  it('resets a client whose id fell out of the history, through the eventsource package', async () => {
    const { hub, server } = await serve(
      { history: memoryHistory({ maxEvents: 5 }) },
      { stream: { retry: 300 } },
    );
    const source = eventSourceClient(server.url, ['message', RESET_EVENT]);
    sources.push(source);
    await until(() => hub.stats().openStreams === 1, 'the connection');
    const firstId = await hub.publish('t', { data: { seq: 1 } });
    await until(() => source.events.length === 1, 'the first event');
    (server.streams[0] as (typeof server.streams)[0]).close();
    let newest = firstId;
    for (let seq = 2; seq <= 20; seq++) newest = await hub.publish('t', { data: { seq } });
    await until(() => source.events.length === 2, 'the reset');
    expect(server.lastEventIds).toEqual([undefined, firstId]);
    expect(source.events[1]?.type).toBe(RESET_EVENT);
    expect(source.events[1]?.lastEventId).toBe(newest);
  });

  it('does not skip a gap silently: the reset comes before anything newer', async () => {
    const { hub, server } = await serve({ history: memoryHistory({ maxEvents: 3 }) });
    const first = await hub.publish('t', { data: { seq: 1 } });
    for (let seq = 2; seq <= 10; seq++) await hub.publish('t', { data: { seq } });
    const reader = fetchReader(server.url, first);
    readers.push(reader);
    await until(() => reader.events.length >= 1, 'the reset');
    await hub.publish('t', { data: { seq: 11 } });
    await until(() => reader.events.length === 2, 'the live event');
    expect(reader.events.map((event) => event.event ?? 'message')).toEqual([
      RESET_EVENT,
      'message',
    ]);
    expect(sequence(reader.events)).toEqual([11]);
  });
});

describe('the cursor of a new subscriber', () => {
  it('lets an eventsource client that saw nothing resume what was published while it was away', async () => {
    const { hub, server } = await serve({}, { stream: { retry: 200 } });
    await hub.publish('t', { data: { seq: 0 } });
    const source = eventSourceClient(server.url, ['message', CURSOR_EVENT]);
    sources.push(source);
    await until(() => source.events.length === 1, 'the cursor');
    const cursor = source.events[0];
    expect(cursor?.type).toBe(CURSOR_EVENT);
    (server.streams[0] as (typeof server.streams)[0]).close();
    await hub.publish('t', { data: { seq: 1 } });
    await hub.publish('t', { data: { seq: 2 } });
    await until(() => source.events.length === 3, 'the missed events after the reconnect');
    expect(server.lastEventIds).toEqual([undefined, cursor?.lastEventId]);
    expect(sequence(source.events)).toEqual([1, 2]);
  });

  it('moves a quiet topic subscriber past other topics, so a short history does not reset it', async () => {
    const { hub, server } = await serve({ history: memoryHistory({ maxEvents: 5 }) });
    const quiet = fetchReader(`${server.url}?topics=quiet`);
    readers.push(quiet);
    await until(() => quiet.events.length === 1, 'the cursor');
    quiet.abort();
    await quiet.done;
    for (let seq = 1; seq <= 4; seq++) await hub.publish('busy', { data: { seq } });
    const back = fetchReader(`${server.url}?topics=quiet`, lastId(quiet));
    readers.push(back);
    await until(() => back.events.length === 1, 'the advanced cursor');
    expect(back.events[0]?.event).toBe(CURSOR_EVENT);
    back.abort();
    await back.done;
    for (let seq = 5; seq <= 8; seq++) await hub.publish('busy', { data: { seq } });
    await hub.publish('quiet', { data: { seq: 1 } });
    const again = fetchReader(`${server.url}?topics=quiet`, lastId(back));
    readers.push(again);
    await until(() => again.events.length >= 1, 'the replay');
    expect(again.events[0]?.event).toBeUndefined();
    expect(sequence(again.events)).toEqual([1]);
    expect(hub.stats().resetsSent).toBe(0);
  });

  it('is not sent to a subscription that asked for none, new or resumed; the reset still is', async () => {
    const { hub, server } = await serve({}, { subscribe: () => ({ cursor: false }) });
    const plain = fetchReader(server.url);
    readers.push(plain);
    await until(() => hub.stats().openStreams === 1, 'the subscription');
    await hub.publish('t', { data: { seq: 1 } });
    await until(() => plain.events.length === 1, 'the published event');
    expect(plain.events.map((event) => event.event)).toEqual([undefined]);
    // Resumed on a quiet topic while another moved on: no cursor at the end of its replay.
    for (let seq = 2; seq <= 4; seq++) await hub.publish('busy', { data: { seq } });
    const resumed = fetchReader(`${server.url}?topics=quiet`, lastId(plain));
    readers.push(resumed);
    await until(() => hub.stats().replaysServed === 1, 'the replay');
    await hub.publish('quiet', { data: { seq: 5 } });
    await until(() => resumed.events.length === 1, 'the live event');
    expect(resumed.events.map((event) => event.event)).toEqual([undefined]);
    const unknown = fetchReader(server.url, 'not-an-id');
    readers.push(unknown);
    await until(() => unknown.events.length === 1, 'the reset');
    expect(unknown.events[0]?.event).toBe(RESET_EVENT);
  });
});
