/**
 * ssekit's fetch entry point, `createSseResponse`, served on node:http through srvx's
 * `toNodeHandler`: srvx writes the head, the stream writes its events to the Node response.
 */
import http from 'node:http';
import { createSseResponse } from '@ssekit/core';
import { toNodeHandler } from 'srvx/node';
import { fanOutFor, streamTokens } from '../lib/ssekit-routes.mjs';

const OPTIONS = { heartbeat: false };

export function start(options) {
  const fanOut = fanOutFor(options);
  const fetch = (request) =>
    createSseResponse(
      request,
      (stream) => {
        if (new URL(request.url).pathname === '/stream') return streamTokens(request.url, stream);
        fanOut.add(stream);
      },
      OPTIONS,
    );
  return {
    server: http.createServer(toNodeHandler(fetch)),
    subscribers: fanOut.subscribers,
    broadcast: fanOut.broadcast,
  };
}
