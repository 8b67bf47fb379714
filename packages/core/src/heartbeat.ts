/**
 * One shared ticker per heartbeat interval, for every stream in the process: thousands of
 * connections cost one timer, not thousands. The ticker runs at a quarter of the interval and a
 * stream beats after four idle ticks, so a connection is never silent for more than one interval
 * (and at least three quarters of one): the interval is a bound that idle timeouts can be set
 * against.
 */

/** Ticks of the shared ticker per heartbeat interval. */
const TICKS_PER_BEAT = 4;

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
}

const tickers = new Map<number, Ticker>();

/** Adds a stream to the ticker for its interval. */
export function joinHeartbeat(member: HeartbeatMember, intervalMs: number): void {
  let ticker = tickers.get(intervalMs);
  if (ticker === undefined) {
    const members = new Set<HeartbeatMember>();
    const timer = setInterval(
      () => tick(members),
      Math.max(1, Math.floor(intervalMs / TICKS_PER_BEAT)),
    );
    unref(timer);
    ticker = { timer, members };
    tickers.set(intervalMs, ticker);
  }
  ticker.members.add(member);
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

function tick(members: Set<HeartbeatMember>): void {
  for (const member of members) {
    member[idleTicks] += 1;
    if (member[idleTicks] >= TICKS_PER_BEAT) member.comment();
  }
}

/** Timers must never keep the process alive; `unref` exists on Node, Bun and Deno only. */
function unref(timer: ReturnType<typeof setInterval>): void {
  const handle = timer as { unref?: () => void };
  if (typeof handle.unref === 'function') handle.unref();
}
