/**
 * Publishing exactly once. A reply can be lost after Redis stored the entry: the connection drops
 * between the two. Sending the publish again would store it twice, and giving up would reject a
 * publish that succeeded. So the append script records what each of its calls stored
 * (`append-script.ts`), every send of a publish remembers the call it went in and its place there,
 * and a publish whose reply was lost is sent again, naming its earlier sends, as soon as the
 * connection is back: Redis then returns the id an earlier send stored, or stores the entry if
 * none reached it. The broker's own connection never resends a command by itself (see
 * `RedisConnection.duplicate`), so every send is one of these, all within `RETRY_MS`, and the
 * script keeps each record for longer than that.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { SsekitError } from '@ssekit/core';
import type { AppendBatches } from './append-batches.js';
import type { PublishKey } from './append-script.js';
import type { RedisConnection } from './connection/connection.js';
import { untilReady } from './connection/until-ready.js';
import { errorText } from './error-text.js';
import { isErrorReply } from './replies.js';

/** How long a publish whose reply was lost waits for the connection to come back to send again. */
export const RETRY_MS = 10_000;

/** How long Redis keeps a send's record: longer than any later send of it can come. */
const REMEMBER_MS = 3 * RETRY_MS;

/** The pause before sending again, so that a Redis refusing every send is not asked in a loop. */
const PAUSE_MS = 50;

/** What one publish needs. */
export interface PublishRequest {
  /** The connection the batches are sent on, watched to know when to send again. */
  connection: RedisConnection;
  batches: AppendBatches;
  key: string;
  fields: ReadonlyArray<readonly [string, string]>;
  /** Aborts the wait for the connection (the broker closed). */
  signal: AbortSignal;
}

/**
 * Stores the entry once and resolves to its id. Rejects when Redis answered the first send with an
 * error (nothing was stored), or when a reply was lost and no later send was answered within
 * `RETRY_MS` (or the broker closed): then the error says the entry may have been stored.
 */
export function publishOnce(request: PublishRequest): Promise<string> {
  const publish: PublishKey = { rememberMs: REMEMBER_MS };
  const giveUpAt = performance.now() + RETRY_MS;
  // The first send on its own, outside the loop of later ones: most publishes settle with it, and
  // an async function around it would cost each publish of a burst one more promise.
  return request.batches
    .append(request.key, { fields: request.fields, publish })
    .catch((error: unknown) => sendAgain(request, publish, giveUpAt, error));
}

/** After the first send failed with `first`: refuses, or sends again until one is answered. */
async function sendAgain(
  request: PublishRequest,
  publish: PublishKey,
  giveUpAt: number,
  first: unknown,
): Promise<string> {
  const { connection, batches, key, fields, signal } = request;
  // A refusal of the first send means nothing was stored (of this entry: the others of its batch
  // are answered one by one).
  if (isErrorReply(first)) {
    throw new SsekitError(
      'ERR_SSE_PUBLISH_REFUSED',
      `ssekit/redis: Redis refused to store the event on "${key}" (${errorText(first)}); ` +
        'nothing was stored.',
      { cause: first },
    );
  }
  for (;;) {
    if (!(await backAgain(connection, giveUpAt, signal))) throw unknownOutcome(key, first, signal);
    try {
      return await batches.append(key, { fields, publish, resent: true });
    } catch {
      // A refusal of a later send (LOADING after a restart, READONLY during a failover) says
      // nothing of the send whose reply was lost: wait and send again.
    }
  }
}

/** `true` once the connection is ready to send again, `false` when it is too late to. */
async function backAgain(
  connection: RedisConnection,
  giveUpAt: number,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await sleep(PAUSE_MS, undefined, { signal });
  } catch {
    return false;
  }
  return (await untilReady(connection, giveUpAt, signal)) && performance.now() < giveUpAt;
}

function unknownOutcome(key: string, error: unknown, signal: AbortSignal): SsekitError {
  const why = signal.aborted
    ? 'the broker closed before it could send it again'
    : `it could not be sent again within ${RETRY_MS / 1000} s of the publish`;
  return new SsekitError(
    'ERR_SSE_PUBLISH_UNCERTAIN',
    `ssekit/redis: the event on "${key}" may or may not have been stored: Redis did not reply ` +
      `(${errorText(error)}) and ${why}. Publishing it again may store it twice.`,
    { cause: error },
  );
}
