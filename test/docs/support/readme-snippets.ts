/**
 * What test/docs/snippets-run.test.ts does with each ```ts block of the docs that is not a
 * recipe (docs/recipes/, run by their own tests): run it, with what a client asks and expects,
 * or compile it only, and why.
 */
import { randomPrefix } from '../../redis/support/redis.js';

/** Where one snippet block is: its Markdown file and text no other block of that file has. */
export interface Block {
  markdown: string;
  contains: string;
}

/** A snippet that runs, and what its client does. */
export interface Run extends Block {
  /** 'exports GET': a route module, served by support/serve-export.mjs; else it listens itself. */
  kind: 'server' | 'exports GET';
  /** The stream's path, query included. */
  path: string;
  headers?: Record<string, string>;
  /** A JSON POST to the snippet's own publish route, sent once the stream is open. */
  publish?: { path: string; body: unknown };
  /** The event type expected (`message` for events without one), and the data of each when given. */
  event?: string;
  data?: string;
  /**
   * Instead of an event: the stream ends by itself (a lifetime reached) after a reconnection
   * delay (`retry:`) beside the one it may have sent when it opened.
   */
  endsWithRetry?: true;
  /** Text replaced in the snippet besides the port (a Redis key of this run's own). */
  replace?: [string, string][];
  needsRedis?: boolean;
}

/** A block that is compiled (snippets.test.ts) but not run, and why. */
export interface CompiledOnly extends Block {
  reason: string;
}

/** The Redis keys of this run: the test deletes every key under it. */
export const redisPrefix = randomPrefix();

export const runs: Run[] = [
  // The root README, "Ten lines per framework" (its recipes run in test/reliability/wiring.test.ts).
  {
    markdown: 'README.md',
    contains: "app.get('/events', sse(), (req, res) => hub.subscribe(res.sse, 'news'));",
    kind: 'server',
    path: '/events',
    publish: { path: '/news', body: { headline: 'hello' } },
    event: 'news',
  },
  {
    markdown: 'README.md',
    contains: "new Koa().use(router.routes()).listen(3000, '127.0.0.1');",
    kind: 'server',
    path: '/ticks',
    event: 'message',
  },
  {
    markdown: 'README.md',
    contains: "await app.register(sse);\napp.get('/events', { sse: true }",
    kind: 'server',
    path: '/events',
    publish: { path: '/news', body: { text: 'hello' } },
    event: 'news',
  },
  {
    markdown: 'README.md',
    contains: "import { H3, serve } from 'h3';\n\nconst app = new H3();\napp.get('/time'",
    kind: 'server',
    path: '/time',
    event: 'time',
  },
  {
    markdown: 'README.md',
    contains: "stream.send({ event: 'now'",
    kind: 'server',
    path: '/',
    event: 'now',
  },
  // The package READMEs.
  {
    markdown: 'packages/express/README.md',
    contains: "app.get('/news', sse({ retry: 2000 })",
    kind: 'server',
    path: '/news?token=secret',
    publish: { path: '/news', body: { headline: 'hello' } },
    event: 'message',
  },
  {
    markdown: 'packages/express/README.md',
    contains: 'sseHandler<Events>(',
    kind: 'server',
    path: '/ticks',
    event: 'tick',
  },
  {
    markdown: 'packages/koa/README.md',
    contains: "router.get<object, SseContext<Events>>('/ticks'",
    kind: 'server',
    path: '/ticks?token=secret',
    event: 'tick',
  },
  {
    markdown: 'packages/fastify/README.md',
    contains: 'await app.register(sse, { retry: 2000 });',
    kind: 'server',
    path: '/ticks?token=secret',
    event: 'tick',
  },
  {
    markdown: 'packages/h3/README.md',
    contains: 'defineSseHandler<Events>(',
    kind: 'server',
    path: '/ticks',
    event: 'tick',
  },
  {
    markdown: 'packages/h3/README.md',
    contains: 'defineSseHandler<Events>(',
    kind: 'server',
    path: '/private?token=secret',
    event: 'tick',
  },
  {
    markdown: 'packages/core/README.md',
    contains: "event: 'count'",
    kind: 'exports GET',
    path: '/count',
    event: 'count',
  },
  {
    markdown: 'packages/core/README.md',
    contains: 'const stream = openSseStream(req, res, { retry: 2000 });',
    kind: 'server',
    path: '/',
    event: 'message',
  },
  {
    markdown: 'packages/core/README.md',
    contains: "// @ts-expect-error: there is no event 'tock'",
    kind: 'exports GET',
    path: '/ticks',
    event: 'tick',
  },
  {
    markdown: 'packages/redis/README.md',
    contains: "hub.subscribe(openSseStream(req, res), 'prices');",
    kind: 'server',
    path: '/events',
    // From the start of the stream: the client is replayed what the snippet published.
    headers: { 'last-event-id': '0-0' },
    event: 'message',
    data: '{"symbol":"ABC","price":12.5}',
    replace: [["key: 'ssekit:prices'", `key: '${redisPrefix}prices'`]],
    needsRedis: true,
  },
  {
    markdown: 'packages/core/README.md',
    contains: "app.get('/rooms/:room/events'",
    kind: 'server',
    // A room the user is not in: the hub's authorize refuses it, and says so.
    path: '/rooms/vault/events',
    headers: { authorization: 'Bearer demo' },
    event: 'ssekit:denied',
    data: 'room:vault',
  },
  {
    markdown: 'packages/core/README.md',
    contains: 'latestValue: (topic) => topic',
    kind: 'server',
    path: '/prices',
    event: 'price',
  },
  {
    markdown: 'packages/core/README.md',
    contains: 'res.sse.closeAt(expiresAt);',
    kind: 'server',
    path: '/events',
    headers: { authorization: 'Bearer demo' },
    endsWithRetry: true,
  },
  {
    markdown: 'packages/core/docs/hub.md',
    contains: "hub.subscribe(stream, ['prices']);",
    kind: 'server',
    path: '/',
    event: 'price',
  },
  // The migration guide's "after" blocks.
  {
    markdown: 'docs/migrating.md',
    contains: "hub.subscribe(res.sse, 'ticker');",
    kind: 'server',
    path: '/events',
    event: 'price',
  },
  {
    markdown: 'docs/migrating.md',
    contains: "hub.subscribe(res.sse, 'state');",
    kind: 'server',
    path: '/stream',
    event: 'state',
  },
];

const browserCode =
  'browser code: its URL is relative to the page (a TypeError in Node) and the app functions it calls are declared; @ssekit/client is run in test/client, in Chromium too';

export const compiledOnly: CompiledOnly[] = [
  { markdown: 'packages/client/README.md', contains: 'onUnauthorized:', reason: browserCode },
  { markdown: 'packages/client/README.md', contains: "'/api/chat'", reason: browserCode },
  { markdown: 'packages/client/README.md', contains: 'shareAcrossTabs()', reason: browserCode },
  {
    markdown: 'packages/core/docs/hub.md',
    contains: 'export function notify(',
    reason:
      'a function that subscribes a stream you pass, no server; filters run in test/hub (fan-out.test.ts and others)',
  },
  {
    markdown: 'packages/core/docs/hub.md',
    contains: 'interface HubStats {',
    reason: 'the type of hub.stats(), shown for reading: there is nothing to run',
  },
  {
    markdown: 'packages/core/README.md',
    contains: 'export type ClientEvents',
    reason: 'types and a helper to import, no server: there is nothing to run',
  },
  {
    markdown: 'packages/redis/README.md',
    contains: "redisBroker({ client, key: 'ssekit:{notify}', partitions: 16 })",
    reason:
      'the Partitions option on a broker, no hub or server; the Setup block runs the whole server, and test/redis/partitions.test.ts runs partitions over HTTP',
  },
  {
    markdown: 'packages/redis/README.md',
    contains: 'createCluster({',
    reason:
      "needs a Redis Cluster at the block's addresses; test/redis/cluster*.test.ts start one and run the cluster client",
  },
];

/** The snippet as it runs here: port 0 for 3000, and the run's own replacements. */
export function runnable(run: Run, code: string): string {
  let out = code;
  for (const [from, to] of run.replace ?? []) {
    if (!out.includes(from)) throw new Error(`${run.markdown}: the snippet has no ${from}`);
    out = out.replaceAll(from, to);
  }
  if (run.kind === 'server') {
    const ported = out
      .replace(/\.listen\(3000\b/g, '.listen(0')
      .replace(/\bport: 3000\b/g, 'port: 0');
    if (ported === out) throw new Error(`${run.markdown}: a server snippet listens on port 3000`);
    out = ported;
  }
  return out;
}
