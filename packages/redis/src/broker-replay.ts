/**
 * The broker's side of a replay: waiting for its connection and for the read loop's position on
 * the partition, then replaying (`replay.ts`) up to where live delivery starts, and telling a
 * Redis failure apart from a replay that was refused or cut short by close().
 */

import { SsekitError } from '@ssekit/core';
import type { ReplayPage } from '@ssekit/core/broker';
import type { RedisConnection } from './connection/connection.js';
import type { FirstConnection } from './connection/first-connection.js';
import { errorText } from './error-text.js';
import { toClientId } from './partition-ids.js';
import type { LiveReading } from './partition-read-loops.js';
import type { PartitionLayout } from './partitions.js';
import { replayAfter } from './replay.js';

/** How long a replay asked for before the read loop's first read waits for it. */
const START_WAIT_MS = 10_000;

/** What a replay needs of its broker. */
export interface BrokerReplayContext {
  /** The broker's own connection for publish and replay. */
  connection: RedisConnection;
  connected: FirstConnection;
  layout: PartitionLayout;
  loop: LiveReading;
  /** Aborted when the broker closes. */
  signal: AbortSignal;
  pageSize: number;
}

/**
 * Waits for the broker's connection if it is still being made; fails at once if Redis is down.
 * A replay cut short by close() (which closes its connection) ends quietly: its stream closes.
 */
export async function* replayPartition(
  context: BrokerReplayContext,
  partition: number,
  afterId: string,
  topics: ReadonlySet<string>,
): AsyncIterable<ReplayPage> {
  const { connection, layout, loop } = context;
  const partitions = layout.keys.length;
  let asked = false;
  try {
    await context.connected.ready('replay');
    asked = true;
    if (loop.reads(partition)) await untilReadLoopStarted(context, partition);
    yield* replayAfter({
      connection,
      key: layout.keys[partition] as string,
      afterId,
      topics,
      // A partition the loop does not read has no live delivery to meet: replay to its end.
      until: loop.cursor(partition),
      clientId: (streamId) => toClientId(partitions, partition, streamId),
      pageSize: context.pageSize,
    });
  } catch (error) {
    if (context.signal.aborted) return;
    // Refused before asking Redis anything: the error already says so.
    if (!asked || (error instanceof SsekitError && error.code === 'ERR_SSE_REPLAY_UNAVAILABLE')) {
      throw error;
    }
    throw new SsekitError(
      'ERR_SSE_BROKER_UNAVAILABLE',
      `ssekit/redis: the replay on "${layout.keys[partition]}" stopped: Redis failed (${errorText(error)}). ` +
        "The client's stream was closed; it reconnects and resumes from its last id.",
      { cause: error },
    );
  }
}

/**
 * Before the read loop knows the partition's position, a replay could not tell where live
 * delivery will start: events published meanwhile would be in neither. It waits for the
 * position instead.
 */
async function untilReadLoopStarted(
  context: BrokerReplayContext,
  partition: number,
): Promise<void> {
  if (!(await context.loop.started(partition, START_WAIT_MS))) {
    throw new SsekitError(
      'ERR_SSE_REPLAY_UNAVAILABLE',
      `ssekit/redis: cannot replay on "${context.layout.keys[partition]}": the read loop has not ` +
        `reached Redis within ${START_WAIT_MS} ms of the client asking. Nothing was replayed; ` +
        'the client reconnects and resumes once Redis answers.',
    );
  }
}

/** A replay of one page, such as `'reset'`. */
export async function* single(page: ReplayPage): AsyncIterable<ReplayPage> {
  yield page;
}
