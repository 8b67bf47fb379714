/** What every implementation sends, so that all of them move the same data. */

/** A broadcast payload of about 100 bytes of JSON, different for every event. */
export function broadcastPayload(seq) {
  return {
    seq,
    type: 'price',
    symbol: 'ACME',
    price: 1000 + (seq % 100) / 4,
    note: 'fan-out payload padding to 100B',
  };
}

/** A latency probe: the time it is due, on the monotonic clock every process shares, in µs. */
export function latencyPayload(seq, dueMicros) {
  return { seq, t: dueMicros };
}

const TOKENS = Array.from({ length: 256 }, (_, i) => `tok${String(i).padStart(3, '0')} word`);

/** The text of token `i` in the one-client stream (about 12 bytes, as an LLM token stream). */
export function tokenAt(i) {
  return TOKENS[i & 255];
}

/** The number of events `/stream?n=` asks for. */
export function requestedEvents(url) {
  const n = Number(new URL(url, 'http://x').searchParams.get('n'));
  if (!Number.isSafeInteger(n) || n <= 0 || n > 10_000_000) throw new TypeError(`bad n in ${url}`);
  return n;
}
