export {
  type ClientEvent,
  createClient,
  type EventHandler,
  SseClient,
} from './client.js';
export { SseClientError, type SseClientErrorCode } from './errors.js';
export type { ClientState, ConnectionMode } from './host.js';
export type { ClientOptions, HeadersSource } from './options.js';
