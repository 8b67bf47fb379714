/**
 * Serves a README snippet that is a fetch-style route module (it exports `GET(request)`, as a
 * Next.js route handler or a Worker does) the way a Hono user would: `@hono/node-server` hands
 * every request to it. The module is the argument; test/docs/snippets-run.test.ts starts this.
 */
import { serve } from '@hono/node-server';

const route = await import(new URL(process.argv[2], `file://${process.cwd()}/`).href);
serve({ fetch: (request) => route.GET(request), port: 0, hostname: '127.0.0.1' });
