import { afterEach, describe, expect, it } from 'vitest';
import { closeOpened, nextTurn, open, readText } from '../../../test/support/sse-streams.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends 16 KiB a turn to a reader that stopped until it is cut off; how many it took. */
async function sentUntilCutOff(stream: ReturnType<typeof open>): Promise<number> {
  let sent = 0;
  while (!stream.isClosed && sent < 100) {
    stream.send({ data: 'l'.repeat(16 * 1024) });
    sent += 1;
    await nextTurn();
  }
  expect(stream.isClosed).toBe(true);
  return sent;
}

afterEach(closeOpened);

describe('SseStream backpressure', () => {
  it('send() returns false above highWaterMark; write() resolves true once the reader drains', async () => {
    const stream = open({ highWaterMark: 64, heartbeat: false });
    const reader = stream.readable.getReader();
    expect(stream.send({ data: 'a'.repeat(20) })).toBe(true);
    expect(stream.send({ data: 'b'.repeat(60) })).toBe(false);
    let resolved: boolean | undefined;
    const waiting = stream.write({ data: 'c' }).then((more) => {
      resolved = more;
    });
    await sleep(5);
    expect(resolved).toBeUndefined();
    await reader.read();
    await waiting;
    expect(resolved).toBe(true);
    expect(stream.bufferedBytes).toBeLessThan(64);
  });

  it('write() throws a TypeError synchronously for an invalid message, queuing nothing', () => {
    const stream = open({ heartbeat: false });
    expect(() => stream.write({ event: 'a\nb', data: 'x' })).toThrow(TypeError);
    expect(stream.bufferedBytes).toBe(0);
    expect(stream.isClosed).toBe(false);
  });

  it('judges a reader that never reads once a turn has passed (close policy)', async () => {
    const stream = open({ maxBufferedBytes: 1000, heartbeat: false });
    void stream.readable;
    // Queued in one turn: no client could have read any of it yet.
    for (let i = 0; i < 30; i++) stream.send({ data: 'y'.repeat(90) });
    expect(stream.isClosed).toBe(false);
    expect(stream.overflows).toBe(0);
    await nextTurn();
    stream.send({ data: 'y'.repeat(90) });
    await nextTurn();
    // The burst is given time; what came after it and stayed unread is debt.
    for (let i = 0; i < 20 && !stream.isClosed; i++) {
      stream.send({ data: 'z'.repeat(90) });
      await nextTurn();
    }
    expect(stream.isClosed).toBe(true);
    expect(stream.overflows).toBe(1);
    expect(stream.bufferedBytes).toBe(0);
  });

  it('never judges a reader on a burst it reads: many times maxBufferedBytes in one loop', async () => {
    const stream = open({ maxBufferedBytes: 1000, highWaterMark: 200, heartbeat: false });
    const reader = stream.readable.getReader();
    let expected = '';
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 100; i++) {
        const data = `${round}:${i}`.padEnd(90, '.');
        stream.send({ data });
        expected += `data: ${data}\n\n`;
      }
      await nextTurn();
      // A few more while the burst is still being read, as a live publisher would.
      stream.send({ data: `late ${round}` });
      expected += `data: late ${round}\n\n`;
      let received = '';
      while (stream.bufferedBytes > 0) received += await readText(reader);
      expect(received).toBe(expected);
      expected = '';
    }
    expect(stream.overflows).toBe(0);
    expect(stream.isClosed).toBe(false);
  });

  it.each([
    // Twice the default cap, queued one behind the other.
    ['bursts in consecutive turns: it reads the second after the first', 32, 32],
    // Less than what is left of the snapshot, twice the default cap.
    ['a catch-up smaller than the snapshot it is still reading', 64, 32],
    // Under a quarter of the snapshot, and still above the cap.
    ['a catch-up far smaller than the snapshot', 128, 24],
  ])('never judges a reader on %s', async (_, first, second) => {
    const stream = open({ heartbeat: false });
    const reader = stream.readable.getReader();
    const event = 'b'.repeat(64 * 1024);
    // `first` 64 KiB events in one turn, `second` in the next, then a live event a turn while
    // the reader takes a chunk a turn.
    for (let i = 0; i < first; i++) stream.send({ data: event });
    await readText(reader);
    await nextTurn();
    for (let i = 0; i < second; i++) stream.send({ data: event });
    await nextTurn();
    let live = 0;
    while (stream.bufferedBytes > 0) {
      await readText(reader);
      if (stream.bufferedBytes === 0) break;
      stream.send({ data: `live ${live++}` });
      await nextTurn();
    }
    expect(live).toBeGreaterThan(first);
    expect(stream.overflows).toBe(0);
    expect(stream.isClosed).toBe(false);
  });

  it('judges a reader that stops after a snapshot and a catch-up: steady events are not bursts', async () => {
    const stream = open({ maxBufferedBytes: 256 * 1024, heartbeat: false });
    void stream.readable;
    const event = 'b'.repeat(64 * 1024);
    for (let i = 0; i < 64; i++) stream.send({ data: event });
    await nextTurn();
    for (let i = 0; i < 32; i++) stream.send({ data: event });
    await nextTurn();
    // It never reads; 16 KiB a turn arrive. The cap is 16 events' worth.
    expect(await sentUntilCutOff(stream)).toBeLessThanOrEqual(18);
  });

  it('never judges a reader on a snapshot while it reads faster than live events arrive', async () => {
    const stream = open({ heartbeat: false });
    const reader = stream.readable.getReader();
    // A 4 MiB snapshot in one turn, then live events of a third of what the reader takes a turn.
    for (let i = 0; i < 64; i++) stream.send({ data: 's'.repeat(64 * 1024) });
    await nextTurn();
    const live = 'l'.repeat(20 * 1024);
    let turns = 0;
    while (stream.bufferedBytes > 0 && turns < 1000) {
      await readText(reader);
      if (stream.bufferedBytes === 0) break;
      stream.send({ data: live });
      await nextTurn();
      turns += 1;
    }
    // Reading all of the snapshot took 64 turns, during which more than the cap arrived live.
    expect(turns).toBeGreaterThan(64);
    expect(stream.bufferedBytes).toBe(0);
    expect(stream.overflows).toBe(0);
    expect(stream.isClosed).toBe(false);
  });

  it('judges a reader that stops once it has read its bursts: it owes what arrives after', async () => {
    const stream = open({ maxBufferedBytes: 256 * 1024, heartbeat: false });
    const reader = stream.readable.getReader();
    for (let i = 0; i < 16; i++) stream.send({ data: 's'.repeat(64 * 1024) });
    await nextTurn();
    for (let i = 0; i < 16; i++) stream.send({ data: 's'.repeat(64 * 1024) });
    await nextTurn();
    while (stream.bufferedBytes > 0) {
      await readText(reader);
      if (stream.bufferedBytes === 0) break;
      stream.send({ data: 'l'.repeat(16 * 1024) });
      await nextTurn();
    }
    expect(stream.isClosed).toBe(false);
    // The reader stops; 16 KiB a turn arrive. The cap is 16 events' worth.
    expect(await sentUntilCutOff(stream)).toBeLessThanOrEqual(18);
  });

  it('judges a reader that stops after a snapshot when each event is larger than maxBufferedBytes', async () => {
    const stream = open({ maxBufferedBytes: 1024, heartbeat: false });
    void stream.readable;
    for (let i = 0; i < 16; i++) stream.send({ data: 's'.repeat(64 * 1024) });
    await nextTurn();
    // Events of 2 KiB, one a turn, each above the cap: only the first three turns after the
    // snapshot may count as its catch-ups; what follows is debt.
    let sent = 0;
    while (!stream.isClosed && sent < 100) {
      stream.send({ data: 'l'.repeat(2048) });
      sent += 1;
      await nextTurn();
    }
    expect(stream.isClosed).toBe(true);
    expect(sent).toBeLessThanOrEqual(6);
  });

  it('drops events while a reader owes more than maxBufferedBytes, keeping the stream open', async () => {
    const stream = open({
      maxBufferedBytes: 300,
      highWaterMark: 100,
      onOverflow: 'drop',
      heartbeat: false,
    });
    const reader = stream.readable.getReader();
    for (let i = 0; i < 50; i++) {
      stream.send({ data: String(i).padStart(90, '.') });
      await nextTurn();
    }
    expect(stream.isClosed).toBe(false);
    // The first read took one event; of the rest, about the cap was kept and later ones dropped.
    expect(stream.overflows).toBeGreaterThan(40);
    expect(stream.bufferedBytes).toBeLessThanOrEqual(300 + 2 * 100);
    let kept = '';
    while (stream.bufferedBytes > 0) kept += await readText(reader);
    stream.send({ data: 'after' });
    expect(await readText(reader)).toBe('data: after\n\n');
    expect(kept.match(/\n\n/g)?.length).toBeLessThan(10);
  });

  it('accepts one event larger than maxBufferedBytes when nothing is buffered', async () => {
    const stream = open({ maxBufferedBytes: 100, heartbeat: false });
    const reader = stream.readable.getReader();
    expect(stream.send({ data: 'L'.repeat(500) })).toBe(false);
    expect(stream.isClosed).toBe(false);
    expect((await readText(reader)).length).toBe(508);
  });
});
