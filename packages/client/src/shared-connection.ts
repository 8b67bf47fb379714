/**
 * `shareAcrossTabs()`: one connection for all the tabs of an origin. The tab that holds a Web Lock
 * named after the stream connects and posts what it receives on a BroadcastChannel of the same
 * name; the others listen. When the holder closes (or its tab does), the lock passes to a waiting
 * tab, which connects from the last id it saw: the server replays the gap. A holder that stops
 * running (a frozen tab) keeps the lock, so a follower that hears nothing from it for too long
 * steals the lock. Ids seen recently are remembered, so an event that reaches a tab both ways is
 * handled once; and a leader numbers the events it posts, so a tab that missed some (posts lost
 * while it could not run) asks for them.
 */
import { SseClientError } from './errors.js';
import type { ClientState, Connect, Ending, Host, WireEvent } from './host.js';
import { RecentEvents } from './recent-events.js';
import { RESET_EVENT } from './signals.js';

type Post =
  /**
   * `seq`: 1, 2, ... in the term `from` (a leader's tab and term); a tab that skips one missed
   * some. `prev`: the leader's last id before this event; a tab that first hears a term and never
   * had that id missed the end of an earlier term.
   */
  | { kind: 'event'; event: WireEvent; from: string; seq: number; prev: string | undefined }
  | { kind: 'state'; state: ClientState }
  /** A tab joins; `after`: its last id, to get what came after it (a `replay` to `tab`). */
  | { kind: 'hello'; tab: string; after: string | undefined }
  /**
   * The events after a joining tab's id (`after`, as it asked; absent from earlier versions);
   * undefined when the leader no longer has them.
   */
  | { kind: 'replay'; tab: string; after?: string; events: WireEvent[] | undefined }
  /** A quiet leader relays a heartbeat; `seq` and `prev`: its term's last event post and id. */
  | { kind: 'alive'; from: string; seq: number; prev: string | undefined }
  | { kind: 'closed'; error?: { code: SseClientError['code']; message: string; status?: number } };

/** True where tabs can share: Web Locks and BroadcastChannel both present. */
function canShare(): boolean {
  return typeof BroadcastChannel === 'function' && typeof navigator?.locks?.request === 'function';
}

/** Shares `host`'s stream on the channel and lock `name`; connects alone where tabs cannot share. */
export async function shareConnection(
  host: Host,
  name: string,
  stop: AbortSignal,
  run: Connect,
): Promise<Ending | undefined> {
  if (!canShare()) return run(host, stop);
  const { silenceLimit, maxRetryDelay } = host.options;
  const channel = new BroadcastChannel(name);
  const recent = new RecentEvents();
  const deliver = (event: WireEvent) => {
    if (!recent.accept(event)) return;
    if (event.id !== undefined) host.moveTo(event.id);
    host.receive(event);
  };
  const post = (message: Post) => channel.postMessage(message);
  /** The current term as leader, aborted when it ends (the stream's end, or the lock stolen). */
  let term: AbortController | undefined;
  let state: ClientState = 'connecting';
  let ending: Ending | undefined;
  let done = false;
  /** Aborts this tab's wait in the lock's queue: to stop, or to take the lock by force. */
  let queue = new AbortController();
  let steal = false;

  // A follower's watchdog on the leader: a leader that stops running (a frozen or hung tab) keeps
  // the lock but posts nothing. Silence past what a live leader allows (the connection's
  // watchdog, plus the longest backoff while it reconnects) lets a follower steal the lock. The
  // random part spreads the followers, so that the first to take over usually quiets the others.
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const watchLeader = () => {
    clearTimeout(watchdog);
    if (silenceLimit === 0 || term !== undefined || done) return;
    const allowed = silenceLimit + (state === 'open' ? 0 : maxRetryDelay);
    watchdog = setTimeout(
      () => {
        steal = true;
        queue.abort();
      },
      allowed * (1 + Math.random() / 2),
    );
  };

  // Joining with a position (a tab back from a freeze, or resuming a session), a tab holds the
  // events it hears until the leader's replay of what came after its id: so they stay in order.
  // No answer in time: no leader has them. What it holds is delivered; if the first came after
  // an id this tab never had, the gap before it is lost, and the app refetches first. With
  // nothing held, the question stays open: a late replay still answers it, and the next post
  // that follows an id this tab never had asks again (it may be the first post the tab hears).
  const me = Math.random().toString(36).slice(2);
  let held: WireEvent[] | undefined;
  /** The leader's last id before the first event held (`prev` of its post). */
  let heldAfter: string | undefined;
  let holding: ReturnType<typeof setTimeout> | undefined;
  /** A question that went unanswered with nothing held; nothing was delivered since. */
  let unanswered = false;
  /** Where a tab with no id yet began: the leader's last id in the first post it heard. */
  let joinedAt: string | undefined;
  /** The id this tab asks after: the last it had, or where it began. */
  const position = () => host.position() ?? joinedAt;
  /** True when `id` (a leader's last id) is one this tab never had: it missed events. */
  const lacks = (id: string | undefined) =>
    id !== undefined && id !== position() && !recent.has(id);
  const release = () => {
    held = undefined;
    clearTimeout(holding);
  };
  /** The app refetches, as after the hub's own reset. */
  const eventsLost = () => host.receive({ event: RESET_EVENT, data: 'events-lost', id: undefined });
  /** Ends a hold unanswered: what is held is delivered, after a reset if it follows a gap. */
  const giveUp = () => {
    if (held?.length) return catchUp(lacks(heldAfter) ? undefined : []);
    release();
    unanswered = true;
  };
  const catchUp = (events: WireEvent[] | undefined) => {
    const waiting = held ?? [];
    release();
    unanswered = false;
    // The leader no longer has them.
    if (events === undefined) eventsLost();
    for (const event of [...(events ?? []), ...waiting]) deliver(event);
  };
  /** The last number heard in each of the latest terms (an earlier leader's posts come late). */
  const heard = new Map<string, number>();
  /** This tab has led: it heard no post of its own terms. */
  let led = false;
  /**
   * Notes that the term `from` posted up to `seq`, after the id `prev`; true when this tab missed
   * some of its posts, or, first hearing the term, an event before it. The first post a tab that
   * never led hears: with no id, it begins there; holding, its question covers what came before;
   * else it missed events if it lacks `prev`.
   */
  const missed = (
    { from, seq, prev }: { from: string; seq: number; prev?: string },
    newPost: boolean,
  ) => {
    const last = heard.get(from);
    const first = heard.size === 0;
    if (first && host.position() === undefined) joinedAt = prev;
    heard.delete(from);
    heard.set(from, seq);
    if (heard.size > 4) heard.delete(heard.keys().next().value ?? '');
    if (first && !led) return held === undefined && lacks(prev);
    if (last !== undefined) return seq > last + (newPost ? 1 : 0);
    return seq > (newPost ? 1 : 0) || lacks(prev);
  };
  const join = () => {
    const after = position();
    if (after !== undefined) {
      held = [];
      heldAfter = undefined;
      holding = setTimeout(giveUp, silenceLimit || 1000);
    }
    post({ kind: 'hello', tab: me, after });
  };
  /** A gap this tab found while following: it asks; with no id to ask after, none can fill it. */
  const missedEvents = () => (position() === undefined ? eventsLost() : join());

  channel.onmessage = ({ data }: MessageEvent<Post>) => {
    if (data.kind === 'hello') {
      if (term === undefined) return;
      post({ kind: 'state', state });
      const { after } = data;
      if (after === undefined) return;
      const events = after === host.position() ? [] : recent.after(after);
      post({ kind: 'replay', tab: data.tab, after, events });
      return;
    }
    if (data.kind === 'replay') {
      // An answer to this tab's latest question only: the position has not moved since it asked.
      // A tab of an earlier version names no id: its answer is taken while this tab holds.
      const mine =
        data.tab === me &&
        (data.after === undefined ? held !== undefined : data.after === position());
      if (mine && (held !== undefined || unanswered)) catchUp(data.events);
      return;
    }
    // A follower that never got some of a leader's posts (posts are lost to a tab that could not
    // run) asks the leader for them, as a tab joining does: at the next event, or, on a quiet
    // stream, at the next relayed heartbeat.
    if ((data.kind === 'event' || data.kind === 'alive') && typeof data.seq === 'number') {
      const open = unanswered && lacks(data.prev);
      unanswered = open;
      const gap = missed(data, data.kind === 'event') || open;
      if (gap && term === undefined && held === undefined) missedEvents();
    }
    // A leader takes events from its own connection only: an earlier leader's late post, handled
    // first, would come before the replay of what precedes it, out of order.
    if (data.kind === 'event' && term === undefined) {
      if (held === undefined) deliver(data.event);
      else if (held.push(data.event) === 1) heldAfter = data.prev;
    }
    // The rest is for followers; a leader hears it only late, from an earlier leader.
    if (term !== undefined) return;
    watchLeader();
    if (data.kind === 'state') {
      state = data.state;
      host.setState(data.state);
      watchLeader();
    } else if (data.kind === 'closed') {
      // No replay comes now: what this tab holds is delivered as at an unanswered question.
      if (held !== undefined) giveUp();
      const { code, message, status } = data.error ?? {};
      ending =
        code === undefined ? {} : { error: new SseClientError(code, message ?? '', { status }) };
      done = true;
      queue.abort();
    }
  };

  let terms = 0;
  const lead = async () => {
    const current = new AbortController();
    term = current;
    const from = `${me}:${++terms}`;
    led = true;
    let posted = 0;
    clearTimeout(watchdog);
    // It connects from its own position now: the server replays what it was waiting for, and
    // what it holds, which came after. Delivered first, what it holds would move the position
    // past the events it missed, and the server would never send them.
    release();
    unanswered = false;
    const end = () => current.abort();
    stop.addEventListener('abort', end);
    const active = () => term === current;
    let lastPost = 0;
    const leaderPost = (message: Post) => {
      lastPost = Date.now();
      post(message);
    };
    const leader: Host = {
      options: host.options,
      position: host.position,
      // An id moves the position with its event (below), so that each post names the position
      // before its event: an id in a block without data is not relayed, and moves no tab.
      moveTo() {},
      receive(event) {
        if (!active() || !recent.accept(event)) return;
        const prev = host.position();
        if (event.id !== undefined) host.moveTo(event.id);
        host.receive(event);
        leaderPost({ kind: 'event', event, from, seq: ++posted, prev });
      },
      setState(next) {
        if (!active()) return;
        state = next;
        host.setState(next);
        leaderPost({ kind: 'state', state: next });
      },
      alive() {
        // Events say it already; a quiet stream's heartbeats are relayed a few times per limit.
        if (silenceLimit > 0 && active() && Date.now() - lastPost > silenceLimit / 4) {
          leaderPost({ kind: 'alive', from, seq: posted, prev: host.position() });
        }
      },
    };
    try {
      const result = await run(leader, current.signal);
      if (result !== undefined && active()) {
        ending = result;
        done = true;
        const { error } = result;
        post({
          kind: 'closed',
          error: error && { code: error.code, message: error.message, status: error.status },
        });
      }
    } finally {
      stop.removeEventListener('abort', end);
    }
  };

  const leave = () => queue.abort();
  stop.addEventListener('abort', leave);
  join();
  watchLeader();
  try {
    while (!done && !stop.aborted) {
      queue = new AbortController();
      const options: LockOptions = steal ? { steal: true } : { signal: queue.signal };
      steal = false;
      try {
        await navigator.locks.request(name, options, lead);
      } catch {
        // The wait was aborted (to stop, on the stream's end, or to steal), or another tab stole
        // the lock from this one: then this tab's connection ends, and it follows.
      }
      if (term !== undefined && !done && !stop.aborted) {
        term.abort();
        term = undefined;
        // It may have missed events while it could not run: it asks the new leader for them.
        join();
      }
      term = undefined;
      watchLeader();
    }
  } finally {
    clearTimeout(watchdog);
    clearTimeout(holding);
    stop.removeEventListener('abort', leave);
    channel.close();
  }
  return ending;
}
