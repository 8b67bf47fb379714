/**
 * Where a client is, in partitions: a client's id names one partition (and the partition count it
 * was given under), and a client's topics must all be in one partition for one id to say where it
 * is.
 */

import { isHubId } from '@ssekit/core/broker';
import { isReadablePosition } from './counted-ids.js';
import { fromClientId } from './partition-ids.js';
import type { PartitionLayout } from './partitions.js';

/** The one partition of all `topics`; `undefined` when none are given or they span several. */
export function partitionOfTopics(
  layout: PartitionLayout,
  topics: ReadonlySet<string> | undefined,
): number | undefined {
  let partition: number | undefined;
  for (const topic of topics ?? []) {
    const its = layout.partitionOf(topic);
    if (partition !== undefined && its !== partition) return undefined;
    partition = its;
  }
  return partition;
}

/**
 * The partition and stream id a client resumes from, or `undefined` when it cannot resume without
 * a gap (a reset). A client's id names its partition: its topics must all be there, under the
 * same partition count, or nothing could be replayed without a gap.
 */
export function resumePosition(
  layout: PartitionLayout,
  afterId: string,
  topics: ReadonlySet<string>,
): { partition: number; streamId: string } | undefined {
  if (!isHubId(afterId)) return undefined;
  const { partitions, partition, streamId } = fromClientId(afterId);
  if (
    partitions !== layout.keys.length ||
    (partitions > 1 && partitionOfTopics(layout, topics) !== partition) ||
    !isReadablePosition(streamId)
  ) {
    return undefined;
  }
  return { partition, streamId };
}
