/**
 * While Redis is down, clients report an error on every reconnect attempt. The broker reports
 * the first error of an outage and the recovery, not the hundreds in between.
 */

import { SsekitError } from '@ssekit/core';
import { errorText } from './error-text.js';
export class OutageReporter {
  readonly #onError: (error: Error) => void;
  #down = false;

  constructor(onError: (error: Error) => void) {
    this.#onError = onError;
  }

  /** Something failed: reported if Redis was thought to be up. */
  failed(error: unknown, context: string): void {
    if (this.#down) return;
    this.#down = true;
    const cause = errorText(error)
      .replace(/^ssekit\/redis: /, '')
      .replace(/\.$/, '');
    this.#onError(
      new SsekitError(
        'ERR_SSE_BROKER_UNAVAILABLE',
        `ssekit/redis: ${context} (${cause}). Live delivery pauses and publish rejects until ` +
          'Redis is back; connected clients stay connected.',
        { cause: error },
      ),
    );
  }

  /** A read connection hung and was replaced: reported each time, in its own words (Redis may be up). */
  replaced(hang: Error): void {
    this.#onError(new SsekitError('ERR_SSE_BROKER_UNAVAILABLE', hang.message, { cause: hang }));
  }

  /** A command succeeded: the next failure starts a new outage. */
  recovered(): void {
    this.#down = false;
  }
}
