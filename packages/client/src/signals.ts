/**
 * The names of the hub's own events, as `@ssekit/core` sends them (`RESET_EVENT`,
 * `CURSOR_EVENT`, `DENIED_EVENT`). Written here rather than imported so the browser build carries no core code;
 * test/client/hub-signals.test.ts holds them equal to the core's.
 */
export const RESET_EVENT = 'ssekit:reset';
export const CURSOR_EVENT = 'ssekit:cursor';
export const DENIED_EVENT = 'ssekit:denied';
