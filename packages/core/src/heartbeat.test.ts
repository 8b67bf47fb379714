import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type HeartbeatMember,
  heartbeatRegistry,
  idleTicks,
  joinHeartbeat,
  leaveHeartbeat,
} from './heartbeat.js';

/** Far more members than one slice of a pass writes, so a pass must yield several times. */
const MANY = 3_000;
/** A tick of a quarter of it, long beside a pass over `MANY` members that write nothing. */
const INTERVAL_MS = 400;

/** Macrotasks run so far, counted by a `setImmediate` chain running beside the ticker. */
let macrotask = 0;
let counting = false;
function count(): void {
  if (!counting) return;
  macrotask += 1;
  setImmediate(count);
}

/** A stream as the ticker sees it, due on the next tick, noting the macrotask of each comment. */
class Member implements HeartbeatMember {
  [idleTicks] = 3;
  readonly beats: number[] = [];
  onComment: (() => void) | undefined;
  comment(): void {
    this[idleTicks] = 0;
    this.beats.push(macrotask);
    this.onComment?.();
  }
}

const joined: Member[] = [];

/** `count` members joined, and the first and the last of them. */
function join(count: number): { members: Member[]; first: Member; last: Member } {
  const members = Array.from({ length: count }, () => new Member());
  for (const member of members) joinHeartbeat(member, INTERVAL_MS);
  joined.push(...members);
  const first = members[0];
  const last = members[count - 1];
  if (first === undefined || last === undefined) throw new RangeError('join needs members');
  return { members, first, last };
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
};

beforeEach(() => {
  counting = true;
  setImmediate(count);
});

afterEach(() => {
  for (const member of joined.splice(0)) leaveHeartbeat(member, INTERVAL_MS);
  counting = false;
  expect(heartbeatRegistry()).toEqual({ streams: 0, timers: 0 });
});

describe('shared heartbeat ticker', () => {
  it('writes a pass in slices, yielding between them, and beats every due member once', async () => {
    const { members } = join(MANY);
    await until(() => members.every((member) => member.beats.length > 0));
    const macrotasks = new Set(members.map((member) => member.beats[0]));
    expect(macrotasks.size).toBeGreaterThan(1);
    // Still one pass: nobody beat twice before everybody had beaten once.
    expect(members.every((member) => member.beats.length === 1)).toBe(true);
  });

  it('does not write a member that left while the pass was yielding', async () => {
    const { members, first, last } = join(MANY);
    first.onComment = () => setImmediate(() => leaveHeartbeat(last, INTERVAL_MS));
    const others = members.slice(0, -1);
    await until(() => others.every((member) => member.beats.length > 0));
    expect(new Set(others.map((member) => member.beats[0])).size).toBeGreaterThan(1);
    expect(last.beats).toEqual([]);
    expect(heartbeatRegistry().streams).toBe(MANY - 1);
  });

  it('stops its timer when every member leaves in the middle of a pass', async () => {
    const { members, first } = join(MANY);
    let left = false;
    first.onComment = () =>
      setImmediate(() => {
        for (const member of members) leaveHeartbeat(member, INTERVAL_MS);
        left = true;
      });
    await until(() => left);
    expect(heartbeatRegistry()).toEqual({ streams: 0, timers: 0 });
    const beaten = members.filter((member) => member.beats.length > 0).length;
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS / 2));
    expect(members.filter((member) => member.beats.length > 0).length).toBe(beaten);
    expect(beaten).toBeLessThan(MANY);
  });

  it('starts no second pass on a tick that comes while the previous pass is still writing', async () => {
    const { members, first, last } = join(MANY);
    // Each comment is slow, so the pass spans several ticks: the timer fires between its slices.
    for (const member of members) member.onComment = () => busyFor(0.2);
    const counted = new Counted(first);
    let firstCountWhenPassEnded = 0;
    const started = performance.now();
    let passMs = 0;
    last.onComment = () => {
      busyFor(0.2);
      firstCountWhenPassEnded = counted.increments;
      passMs = performance.now() - started;
    };
    await until(() => last.beats.length > 0);
    // Without ticks firing inside the pass, the test could not tell; they did.
    expect(passMs).toBeGreaterThan(2 * (INTERVAL_MS / 4));
    // One pass went over the first member; no tick during it started another over the same ones.
    expect(firstCountWhenPassEnded).toBe(1);
    expect(members.every((member) => member.beats.length === 1)).toBe(true);
  });
});

/** Counts the ticker's increments of one member's idle ticks, keeping what they store. */
class Counted {
  increments = 0;
  constructor(member: Member) {
    let ticks = member[idleTicks];
    Object.defineProperty(member, idleTicks, {
      get: () => ticks,
      set: (value: number) => {
        if (value === ticks + 1) this.increments += 1;
        ticks = value;
      },
    });
  }
}

/** Holds the thread for `ms`, as a slow write would. */
function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {}
}
