/**
 * `@ssekit/client/tabs`: the ways of connecting that only a page needs, as values of the
 * `connection` option. A separate entry, so that a client without them carries none of their code.
 */
import type { ConnectionMode } from './host.js';
import { invalid } from './options.js';
import { pauseWhileHidden } from './page-visibility.js';
import { shareConnection } from './shared-connection.js';

/**
 * One connection for all the tabs of an origin that open the same stream: one tab connects (it
 * holds a Web Lock), the others receive its events over a BroadcastChannel, and another tab takes
 * over from the last id when it closes. Where Web Locks or BroadcastChannel are missing, each tab
 * connects on its own.
 * @param channel the lock and channel name; default one per stream URL. Clients given the same
 *   name must read the same stream.
 * @throws {TypeError} when `channel` is given and is not a non-empty string.
 */
export function shareAcrossTabs(channel?: string): ConnectionMode {
  if (channel !== undefined && (typeof channel !== 'string' || channel === '')) {
    throw invalid('channel', channel, 'must be a non-empty string', undefined, 'shareAcrossTabs');
  }
  return (host, stop, connect) =>
    shareConnection(host, channel ?? `ssekit:${host.options.url}`, stop, connect);
}

/**
 * Lets the connection go once the page has been hidden `ms` milliseconds (state `paused`), and
 * reconnects once, from the last id, when it is shown again. Showing the page before then changes
 * nothing: a quick tab switch makes no request. Outside a page it connects as usual.
 * @throws {TypeError} when `ms` is not a positive whole number.
 */
export function pauseWhenHidden(ms: number): ConnectionMode {
  if (!(Number.isSafeInteger(ms) && ms > 0)) {
    throw invalid('ms', ms, 'must be a positive whole number', undefined, 'pauseWhenHidden');
  }
  return (host, stop, connect) => pauseWhileHidden(host, ms, stop, connect);
}
