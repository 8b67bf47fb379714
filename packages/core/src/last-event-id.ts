/**
 * Reading the id a reconnecting client sends. Request data is untrusted: values are capped and
 * checked here, once, for every entry point.
 */

/** The longest `Last-Event-ID` accepted, in characters; longer values are ignored. */
export const MAX_LAST_EVENT_ID_LENGTH = 1024;

const UNSAFE = /[\0\r\n]/;
const NON_ASCII = /[\u0080-\u00ff]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The client's last event id from the `Last-Event-ID` header, or else from the `lastEventId`
 * query parameter (a first connection from a browser cannot set headers). Returns `undefined`
 * when absent, empty, longer than {@link MAX_LAST_EVENT_ID_LENGTH}, or holding CR, LF or NUL.
 */
export function readLastEventId(
  header: string | null | undefined,
  url?: string,
): string | undefined {
  const fromHeader = sanitize(decodeHeaderValue(header ?? undefined));
  if (fromHeader !== undefined || url === undefined) return fromHeader;
  const query = url.indexOf('?');
  if (query === -1) return undefined;
  return sanitize(new URLSearchParams(url.slice(query + 1)).get('lastEventId') ?? undefined);
}

/**
 * HTTP hands header bytes over as latin1 characters; a browser sends a non-ASCII id as UTF-8.
 * Re-decode so the id arrives as the client sent it. Invalid UTF-8 is kept as received.
 */
function decodeHeaderValue(value: string | undefined): string | undefined {
  if (value === undefined || !NON_ASCII.test(value)) return value;
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff) return value;
    bytes[i] = code;
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return value;
  }
}

function sanitize(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > MAX_LAST_EVENT_ID_LENGTH || UNSAFE.test(value)) return undefined;
  return value;
}
