/**
 * `@ssekit/core/broker`: for authors of hub backends (`@ssekit/redis` and others). The `Broker`
 * and `History` contracts a hub drives, the hub's id arithmetic, the in-process `localBroker`, and
 * the option checkers every backend shares so that bad options fail the same way everywhere.
 */
export { checkKnownKeys, optionalFunction, positiveInteger } from './checks.js';
export type {
  Broker,
  BrokerListener,
  HubEntry,
  PublishedEntry,
  ReplayPage,
} from './hub/broker.js';
export type { History } from './hub/history.js';
export { compareIds, isHubId } from './hub/ids.js';
export { type LocalBrokerOptions, localBroker } from './hub/local-broker.js';
