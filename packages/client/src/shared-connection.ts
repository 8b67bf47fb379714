/**
 * `shareAcrossTabs()`: one connection for all the tabs of an origin. The tab that holds a Web Lock
 * named after the stream connects and posts what it receives on a BroadcastChannel of the same
 * name; the others listen. When the holder closes (or its tab does), the lock passes to a waiting
 * tab, which connects from the last id it saw: the server replays the gap. Ids seen recently are
 * remembered, so an event that reaches a tab both ways is handled once.
 */
import { SseClientError } from './errors.js';
import type { ClientState, Connect, Ending, Host, WireEvent } from './host.js';

type Post =
  | { kind: 'event'; event: WireEvent }
  | { kind: 'state'; state: ClientState }
  | { kind: 'hello' }
  | { kind: 'closed'; error?: { code: SseClientError['code']; message: string; status?: number } };

/** How many recent ids a tab remembers to drop an event it got twice. */
const REMEMBERED_IDS = 1024;

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
  const channel = new BroadcastChannel(name);
  const seen = new Set<string>();
  const fresh = ({ id }: WireEvent) => {
    if (id === undefined || id === '') return true;
    if (seen.has(id)) return false;
    seen.add(id);
    if (seen.size > REMEMBERED_IDS) seen.delete(seen.values().next().value as string);
    return true;
  };
  let leading = false;
  let state: ClientState = 'connecting';
  const post = (message: Post) => channel.postMessage(message);
  const waiting = new AbortController();
  const abortWaiting = () => waiting.abort();
  stop.addEventListener('abort', abortWaiting);
  let ending: Ending | undefined;

  channel.onmessage = ({ data }: MessageEvent<Post>) => {
    if (data.kind === 'hello') {
      if (leading) post({ kind: 'state', state });
    } else if (leading) {
      // A message from an earlier holder, late: this tab reads the stream itself now.
    } else if (data.kind === 'event') {
      if (fresh(data.event)) host.receive(data.event);
    } else if (data.kind === 'state') {
      host.setState(data.state);
    } else {
      const { code, message, status } = data.error ?? {};
      ending =
        code === undefined ? {} : { error: new SseClientError(code, message ?? '', { status }) };
      waiting.abort();
    }
  };

  const leader: Host = {
    options: host.options,
    position: host.position,
    receive(event) {
      if (!fresh(event)) return;
      host.receive(event);
      post({ kind: 'event', event });
    },
    setState(next) {
      state = next;
      host.setState(next);
      post({ kind: 'state', state: next });
    },
  };

  post({ kind: 'hello' });
  try {
    await navigator.locks.request(name, { signal: waiting.signal }, async () => {
      leading = true;
      ending = await run(leader, stop);
      if (ending !== undefined) {
        const { error } = ending;
        post({
          kind: 'closed',
          error: error && { code: error.code, message: error.message, status: error.status },
        });
      }
    });
  } catch {
    // The wait was aborted: this client closed, or the holder reported the stream's end.
  } finally {
    stop.removeEventListener('abort', abortWaiting);
    channel.close();
  }
  return ending;
}
