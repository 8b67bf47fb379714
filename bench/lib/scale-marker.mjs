/**
 * The text every broadcast of `bench/scale.mjs` carries and nothing else does: the scale client
 * counts it instead of event terminators, so heartbeat comments arriving meanwhile never count
 * as the event.
 */
export const SCALE_MARKER = 'scale-broadcast-7f3a';
