/**
 * One shared ticker per heartbeat interval, for every stream in the process: thousands of
 * connections cost one timer, not thousands. The ticker runs at a quarter of the interval and a
 * stream beats after four idle ticks, so a connection is never silent for more than one interval
 * (and at least three quarters of one): the interval is a bound that idle timeouts can be set
 * against, as long as the process keeps up with its work (see `tick`).
 */
import { schedule } from './turn.js';

/** Ticks of the shared ticker per heartbeat interval. */
const TICKS_PER_BEAT = 4;

/**
 * Comments a pass writes before it yields to the event loop. Connections opened together beat in
 * the same tick, and writing all their comments in one macrotask would hold up every publish and
 * every request behind them; a slice this size keeps each hold short while the cost of yielding
 * stays small beside the writes (the measurement is in `bench/README.md`).
 */
const COMMENTS_PER_SLICE = 512;

/**
 * @internal Ticks of the shared ticker since a stream last wrote; every write resets it to 0.
 * A field of the stream itself: an idle connection pays for no object of its own here.
 */
export const idleTicks = Symbol.for('ssekit.idleTicks');

/** One stream kept alive by the shared ticker. */
export interface HeartbeatMember {
  [idleTicks]: number;
  /** Writes the keep-alive comment. */
  comment(): unknown;
}

interface Ticker {
  timer: ReturnType<typeof setInterval>;
  members: Set<HeartbeatMember>;
  /**
   * The pass of the current tick while it still has members to walk, across macrotasks. A `Set`
   * iterator skips members deleted after it started (a stream that closed is not written) and
   * reaches the ones added meanwhile.
   */
  pass: Iterator<HeartbeatMember> | undefined;
}

const tickers = new Map<number, Ticker>();

/** Adds a stream to the ticker for its interval. */
export function joinHeartbeat(member: HeartbeatMember, intervalMs: number): void {
  let ticker = tickers.get(intervalMs);
  if (ticker === undefined) {
    ticker = startTicker(intervalMs);
    tickers.set(intervalMs, ticker);
  }
  ticker.members.add(member);
}

function startTicker(intervalMs: number): Ticker {
  const ticker: Ticker = {
    members: new Set(),
    pass: undefined,
    timer: setInterval(() => tick(ticker), Math.max(1, Math.floor(intervalMs / TICKS_PER_BEAT))),
  };
  unref(ticker.timer);
  return ticker;
}

/** Removes a stream from its ticker; the last one to leave stops the timer. */
export function leaveHeartbeat(member: HeartbeatMember, intervalMs: number): void {
  const ticker = tickers.get(intervalMs);
  if (ticker === undefined || !ticker.members.delete(member) || ticker.members.size > 0) return;
  clearInterval(ticker.timer);
  tickers.delete(intervalMs);
}

/**
 * Diagnostics: how many streams the shared heartbeat ticker holds, and how many timers it runs.
 * Both return to zero when every stream has closed.
 */
export function heartbeatRegistry(): { streams: number; timers: number } {
  let streams = 0;
  for (const ticker of tickers.values()) streams += ticker.members.size;
  return { streams, timers: tickers.size };
}

/**
 * Starts a pass over the members, unless the previous one is still writing: then the process
 * writes comments more slowly than they come due, and a second pass over the same members would
 * only count them idle twice and add writes to a loop that is already behind. Skipping the tick
 * lets such a member stay silent a little longer than one interval, which only an overloaded
 * process sees: a pass that ends within a tick keeps the bound.
 */
function tick(ticker: Ticker): void {
  if (ticker.pass !== undefined) return;
  ticker.pass = ticker.members.values();
  continuePass(ticker);
}

/** Walks the pass on until it has written a slice of comments, then yields for the rest. */
function continuePass(ticker: Ticker): void {
  const pass = ticker.pass;
  if (pass === undefined) return;
  let written = 0;
  for (let next = pass.next(); next.done !== true; next = pass.next()) {
    const member = next.value;
    member[idleTicks] += 1;
    if (member[idleTicks] < TICKS_PER_BEAT) continue;
    member.comment();
    written += 1;
    if (written === COMMENTS_PER_SLICE) {
      schedule(() => continuePass(ticker));
      return;
    }
  }
  ticker.pass = undefined;
}

/** Timers must never keep the process alive; `unref` exists on Node, Bun and Deno only. */
function unref(timer: ReturnType<typeof setInterval>): void {
  const handle = timer as { unref?: () => void };
  if (typeof handle.unref === 'function') handle.unref();
}
