/**
 * How a hub entry is laid out in a stream entry: readable with `redis-cli XRANGE`, and the data
 * text stored exactly as the hub serialized it.
 */
import type { HubEntry, PublishedEntry } from '@ssekit/core/broker';
import type { StreamEntry } from './replies.js';

/** The field-value pairs stored for one published entry. */
export function toFields(entry: PublishedEntry): Array<readonly [string, string]> {
  const fields: Array<readonly [string, string]> = [['topic', entry.topic]];
  if (entry.event !== undefined) fields.push(['event', entry.event]);
  fields.push(['data', entry.data]);
  // Last: the append script finds an entry of a latest-value topic by it (`append-script.ts`).
  if (entry.key !== undefined) fields.push(['key', entry.key]);
  return fields;
}

/**
 * The hub entry stored in a stream entry, under the id clients see for it; `undefined` for an
 * entry not written by the broker.
 */
export function toHubEntry(entry: StreamEntry, id: string): HubEntry | undefined {
  const topic = entry.fields.get('topic');
  const data = entry.fields.get('data');
  if (topic === undefined || data === undefined) return undefined;
  const key = entry.fields.get('key');
  const hubEntry = { id, topic, event: entry.fields.get('event'), data };
  return key === undefined ? hubEntry : { ...hubEntry, key };
}
