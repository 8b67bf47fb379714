/**
 * The raw node:http way, shared by the raw rows: headers written at once, each broadcast
 * serialized once to bytes and written with `res.write` to every response, one write per event.
 */
export const RAW_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
};

export function rawBroadcaster() {
  const subscribers = new Set();
  return {
    add(res) {
      res.writeHead(200, RAW_HEADERS);
      res.flushHeaders();
      subscribers.add(res);
      res.on('close', () => subscribers.delete(res));
    },
    api: {
      subscribers: () => subscribers.size,
      broadcast(payload) {
        const bytes = Buffer.from(`data: ${JSON.stringify(payload)}\n\n`);
        for (const res of subscribers) res.write(bytes);
      },
    },
  };
}
