/**
 * The targets of issue 16, per workload: each names the metrics it applies to, the field compared,
 * the pairs (implementation, reference) and the bound on their ratio. The report checks every
 * pair that was measured in the run.
 */

const PACED_FAN_OUT = ['crowd.paced', 'memory.paced', 'large.paced'];
const BURST_FAN_OUT = ['crowd.burst', 'memory.burst', 'large.burst'];
const LATENCY = ['few.latency', 'crowd.latency'];

const HUB = ['ssekit-hub-node', 'ssekit-hub-express', 'ssekit-hub-koa'];
const NODE_PATH = ['ssekit-node', 'ssekit-express', 'ssekit-koa', 'ssekit-fastify'];
const WEB_PATH = ['ssekit-fetch', 'ssekit-h3'];

/** Every adapter row, against its framework writing the same bytes by hand. */
const ADAPTER_PAIRS = [
  ['ssekit-express', 'raw-express'],
  ['ssekit-hub-express', 'raw-express'],
  ['ssekit-koa', 'raw-koa'],
  ['ssekit-hub-koa', 'raw-koa'],
  ['ssekit-fastify', 'raw-fastify'],
  ['ssekit-h3', 'raw-h3'],
];

const against = (impls, references) =>
  impls.flatMap((impl) => references.map((reference) => [impl, reference]));

export const TARGETS = [
  {
    title: 'fan-out, hub + openSseStream vs raw',
    metrics: PACED_FAN_OUT,
    field: 'rate',
    pairs: [['ssekit-hub-node', 'raw-node']],
    atLeast: 1.0,
  },
  {
    title: 'fan-out, adapter vs its framework by hand',
    metrics: PACED_FAN_OUT,
    field: 'rate',
    pairs: ADAPTER_PAIRS,
    atLeast: 1.0,
  },
  {
    title: 'fan-out vs better-sse and @fastify/sse',
    metrics: PACED_FAN_OUT,
    field: 'rate',
    pairs: against([...HUB, 'ssekit-fastify'], ['better-sse', 'fastify-sse']),
    atLeast: 1.5,
  },
  {
    title: 'fan-out, fetch entry and h3 adapter vs h3 EventStream and Hono',
    metrics: PACED_FAN_OUT,
    field: 'rate',
    pairs: against(WEB_PATH, ['h3-eventstream', 'hono-streamsse']),
    atLeast: 1.5,
  },
  {
    title: 'burst fan-out, the hub keeps its lead',
    metrics: BURST_FAN_OUT,
    field: 'rate',
    pairs: against(HUB, ['raw-node']),
    atLeast: 2.0,
  },
  {
    title: 'memory per idle hub subscriber (RSS)',
    metrics: ['memory.memory'],
    field: 'rssPerConnection',
    pairs: against(HUB, ['raw-node']),
    atMost: 1.15,
  },
  {
    title: 'memory per idle hub subscriber (heap)',
    metrics: ['memory.memory'],
    field: 'heapPerConnection',
    pairs: against(HUB, ['raw-node']),
    atMost: 1.15,
  },
  {
    title: 'latency p99 vs raw',
    metrics: LATENCY,
    field: 'p99',
    pairs: against([...NODE_PATH, ...HUB], ['raw-node']),
    atMost: 1.2,
  },
  {
    title: 'one client vs raw',
    metrics: ['stream.oneClient'],
    field: 'rate',
    pairs: [['ssekit-node', 'raw-node']],
    atLeast: 1.0,
  },
  {
    title: 'fetch entry and h3 adapter vs openSseStream',
    metrics: ['crowd.paced', 'memory.paced', 'large.paced', 'stream.oneClient'],
    field: 'rate',
    pairs: against(WEB_PATH, ['ssekit-node']),
    atLeast: 0.9,
  },
];
