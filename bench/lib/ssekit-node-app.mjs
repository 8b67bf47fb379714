/**
 * The node:http app every Node-writer variant of ssekit shares; only the way a stream is opened
 * on the response differs (`open(req, res) → SseStream`).
 */
import http from 'node:http';
import { fanOutFor, streamTokens } from './ssekit-routes.mjs';

export function ssekitNodeApp(open, options) {
  const fanOut = fanOutFor(options);
  const server = http.createServer((req, res) => {
    const stream = open(req, res);
    if (req.url.startsWith('/stream')) streamTokens(req.url, stream);
    else fanOut.add(stream);
  });
  return { server, subscribers: fanOut.subscribers, broadcast: fanOut.broadcast };
}
