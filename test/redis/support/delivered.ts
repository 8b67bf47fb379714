/**
 * What clients must have received of publishes made while Redis changed under them (a failover, a
 * slot moving), checked against each publish's outcome (`steady-publisher.ts`).
 */
import { compareIds } from '@ssekit/core/broker';
import { expect } from 'vitest';
import type { FetchReader } from '../../hub/support/clients.js';
import type { PublishOutcome } from './steady-publisher.js';

/** A reader's events as the suites read them: data, or `RESET` for the hub's reset signal. */
export const seen = (reader: FetchReader): string[] =>
  reader.events
    .filter((event) => event.event === undefined || event.event === 'ssekit:reset')
    .map((event) => (event.event === 'ssekit:reset' ? 'RESET' : event.data));

/** Rejections that say nothing was stored (the others may have stored the event). */
const NOT_STORED = new Set(['ERR_SSE_PUBLISH_REFUSED', 'ERR_SSE_BROKER_UNAVAILABLE']);

/**
 * Asserts what a client got of `outcomes` (publishes to one partition): every resolved one, once,
 * in the order of their ids (the stream's order, whatever order they were issued in); none of
 * those that were not stored; those whose outcome is unknown at most once.
 */
export function expectDelivered(got: readonly string[], outcomes: readonly PublishOutcome[]): void {
  const resolved = outcomes
    .filter((outcome) => outcome.id !== undefined)
    .sort((x, y) => compareIds(x.id as string, y.id as string))
    .map((outcome) => outcome.data);
  const unknown = new Set(
    outcomes
      .filter((outcome) => outcome.error !== undefined && !NOT_STORED.has(outcome.error))
      .map((outcome) => outcome.data),
  );
  expect(new Set(got).size).toBe(got.length);
  expect(got.filter((data) => !unknown.has(data))).toEqual(resolved);
}
