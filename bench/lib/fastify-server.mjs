/**
 * A Fastify 5 app and its node:http server, which the harness listens on itself (`lib/server.mjs`
 * calls `server.listen`) as for every other row: Fastify's `serverFactory` hands it over.
 */
import http from 'node:http';
import Fastify from 'fastify';

export function fastifyApp() {
  let server;
  const app = Fastify({
    serverFactory: (handler) => {
      server = http.createServer(handler);
      return server;
    },
  });
  return { app, server };
}
