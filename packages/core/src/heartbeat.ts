/**
 * One shared ticker per heartbeat interval, for every stream in the process: thousands of
 * connections cost one timer, not thousands. The ticker runs at a quarter of the interval and a
 * stream beats after four idle ticks, so a connection is never silent for more than one interval
 * (and at least three quarters of one): the interval is a bound that idle timeouts can be set
 * against.
 */

/** Ticks of the shared ticker per heartbeat interval. */
const TICKS_PER_BEAT = 4;

/** A stream that can be kept alive by the shared ticker. */
export interface Beating {
  /** Ticks since the stream last wrote; reset to 0 by every write. */
  idleTicks: number;
  /** Writes the keep-alive comment. */
  beat(): void;
}

interface Ticker {
  timer: ReturnType<typeof setInterval>;
  members: Set<Beating>;
}

const tickers = new Map<number, Ticker>();

/** Adds a stream to the ticker for `intervalMs`; returns the function that removes it. */
export function joinHeartbeat(intervalMs: number, member: Beating): () => void {
  let ticker = tickers.get(intervalMs);
  if (ticker === undefined) {
    const members = new Set<Beating>();
    const timer = setInterval(
      () => tick(members),
      Math.max(1, Math.floor(intervalMs / TICKS_PER_BEAT)),
    );
    unref(timer);
    ticker = { timer, members };
    tickers.set(intervalMs, ticker);
  }
  const joined = ticker;
  joined.members.add(member);
  return () => {
    if (!joined.members.delete(member) || joined.members.size > 0) return;
    clearInterval(joined.timer);
    tickers.delete(intervalMs);
  };
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

function tick(members: Set<Beating>): void {
  for (const member of members) {
    member.idleTicks += 1;
    if (member.idleTicks >= TICKS_PER_BEAT) member.beat();
  }
}

/** Timers must never keep the process alive; `unref` exists on Node, Bun and Deno only. */
function unref(timer: ReturnType<typeof setInterval>): void {
  const handle = timer as { unref?: () => void };
  if (typeof handle.unref === 'function') handle.unref();
}
