/**
 * How a hub's topics are spread over `partitions` stream keys. A topic's partition is a stable
 * hash (32-bit FNV-1a of its UTF-8 bytes, modulo the count) of its hash tag, the text between its
 * first `{` and the next `}` when that is not empty (Redis Cluster's rule), else of the whole topic: topics that share a tag
 * (`user:{42}:inbox`, `user:{42}:presence`) share a partition, so a client of both resumes with
 * one id. One partition is the stream key itself, today's layout; with more, each partition's key
 * carries a Redis Cluster hash tag of its own, so that it and its publish records share one slot
 * and the partitions spread over the slots (and so over a cluster's masters).
 */

/** The stream keys and the partition of each topic, for one hub. */
export interface PartitionLayout {
  /** The `key` option, which names the hub's streams in messages. */
  readonly key: string;
  /** One key per partition, partition 0 first. */
  readonly keys: readonly string[];
  /** The partition of `topic`. */
  partitionOf(topic: string): number;
}

const encoder = new TextEncoder();

/**
 * Where the hash tag of `text` is, by Redis Cluster's rule: the text between its first `{` and
 * the next `}`, when that is not empty (`a{}{b}` has none: Redis hashes all of it).
 */
export function hashTag(text: string): { start: number; end: number } | undefined {
  const open = text.indexOf('{');
  const close = open === -1 ? -1 : text.indexOf('}', open + 1);
  return close > open + 1 ? { start: open + 1, end: close } : undefined;
}

/**
 * The layout of `count` partitions of the stream `key`. A key with a hash tag (`ssekit:{chat}`)
 * gets the partition inside its tag (`ssekit:{chat:3}`); a key without one gets it as a tag of its
 * own (`ssekit:chat:{3}`).
 */
export function partitionLayout(key: string, count: number): PartitionLayout {
  if (count === 1) return { key, keys: [key], partitionOf: () => 0 };
  const tag = hashTag(key);
  const keys = Array.from({ length: count }, (_, partition) =>
    tag === undefined
      ? `${key}:{${partition}}`
      : `${key.slice(0, tag.end)}:${partition}${key.slice(tag.end)}`,
  );
  const tagOf = (topic: string) => {
    const range = hashTag(topic);
    return range === undefined ? topic : topic.slice(range.start, range.end);
  };
  return { key, keys, partitionOf: (topic) => fnv1a(tagOf(topic)) % count };
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
