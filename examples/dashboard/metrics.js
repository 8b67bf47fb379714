/**
 * `hub.stats()` in the Prometheus text format, for a `/metrics` route: no client library
 * needed. (For OpenTelemetry, read the same numbers in an observable gauge or counter callback.)
 */
const COUNTERS = [
  ['eventsPublished', 'ssekit_events_published_total', 'Events published by this hub.'],
  [
    'eventsDelivered',
    'ssekit_events_delivered_total',
    'Events queued to clients, live and replayed.',
  ],
  ['bytesDelivered', 'ssekit_bytes_delivered_total', 'Bytes of the events queued to clients.'],
  ['overflows', 'ssekit_overflows_total', 'Sends refused because a client buffer was full.'],
  ['replaysServed', 'ssekit_replays_served_total', 'Replays completed for reconnecting clients.'],
  ['resetsSent', 'ssekit_resets_sent_total', 'Reset signals sent (history could not cover a gap).'],
  ['connectionsRejected', 'ssekit_connections_rejected_total', 'Clients turned away.'],
];

export function prometheusText(stats) {
  const lines = [
    '# HELP ssekit_open_streams Streams subscribed right now.',
    '# TYPE ssekit_open_streams gauge',
    `ssekit_open_streams ${stats.openStreams}`,
    '# HELP ssekit_subscribers Subscriptions per topic right now.',
    '# TYPE ssekit_subscribers gauge',
    ...Object.entries(stats.subscribers).map(
      ([topic, count]) => `ssekit_subscribers{topic=${JSON.stringify(topic)}} ${count}`,
    ),
  ];
  for (const [field, name, help] of COUNTERS) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${stats[field]}`);
  }
  return `${lines.join('\n')}\n`;
}
