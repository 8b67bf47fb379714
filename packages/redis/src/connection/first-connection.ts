/**
 * The broker's own connection is still connecting right after the broker is created, while an
 * application publishes its first event. A command then waits for that first connection; once it
 * has been made (or has failed), a connection that is not ready is down, and commands fail at
 * once rather than wait for Redis to come back.
 */
import { SsekitError } from '@ssekit/core';
import type { RedisConnection } from './connection.js';
import { untilReady } from './until-ready.js';

export class FirstConnection {
  readonly #connection: RedisConnection;
  readonly #key: string;
  readonly #made: Promise<unknown>;
  #settled = false;

  /** Starts connecting `connection`; `signal` stops the wait (the broker closed). */
  constructor(connection: RedisConnection, key: string, signal: AbortSignal) {
    this.#connection = connection;
    this.#key = key;
    let failed = false;
    const unwatch = connection.onError(() => {
      failed = true;
    });
    connection.connect();
    this.#made = untilReady(connection, Number.POSITIVE_INFINITY, signal, () => failed).finally(
      () => {
        this.#settled = true;
        unwatch();
      },
    );
  }

  /**
   * Resolves when a command can be sent now, after waiting for the first connection if it is
   * still being made.
   * @throws {SsekitError} (`ERR_SSE_BROKER_UNAVAILABLE`) saying Redis is not connected, when it is down.
   */
  async ready(what: 'publish' | 'replay'): Promise<void> {
    if (!this.#connection.isReady && !this.#settled) await this.#made;
    if (this.#connection.isReady) return;
    const consequence =
      what === 'publish'
        ? 'Nothing was stored; retry once Redis is back.'
        : "The client's stream was closed; it reconnects and resumes from its last id once Redis is back.";
    throw new SsekitError(
      'ERR_SSE_BROKER_UNAVAILABLE',
      `ssekit/redis: cannot ${what} on "${this.#key}": Redis is not connected (down or ` +
        `reconnecting). ${consequence}`,
    );
  }
}
