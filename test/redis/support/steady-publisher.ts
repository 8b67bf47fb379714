/**
 * Publishing at a steady pace while something happens to Redis (a failover, a slot moving), one
 * publish every `everyMs` without waiting for the one before, so that a publish stuck on a dead
 * node does not hold back the next. Each outcome is kept: the id it resolved with, or the code of
 * the error it rejected with.
 */
import type { Hub } from '@ssekit/core';

export interface PublishOutcome {
  readonly data: string;
  readonly id?: string;
  /** `SsekitError.code` of a rejection (`ERR_SSE_PUBLISH_UNCERTAIN`, ...), or its message. */
  readonly error?: string;
}

export interface SteadyPublisher {
  /** Stops publishing and resolves once every publish made has settled. */
  stop(): Promise<PublishOutcome[]>;
  /** How many publishes resolved so far. */
  resolved(): number;
}

export function steadyPublisher(
  hub: Hub,
  topic: string,
  prefix: string,
  everyMs = 100,
): SteadyPublisher {
  const settling: Array<Promise<PublishOutcome>> = [];
  let resolved = 0;
  let n = 0;
  const publishOne = () => {
    const data = `${prefix} ${n++}`;
    settling.push(
      hub.publish(topic, { data }).then(
        (id) => {
          resolved += 1;
          return { data, id };
        },
        (error: unknown) => ({
          data,
          error: (error as { code?: string }).code ?? String(error),
        }),
      ),
    );
  };
  publishOne();
  const timer = setInterval(publishOne, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      return Promise.all(settling);
    },
    resolved: () => resolved,
  };
}
