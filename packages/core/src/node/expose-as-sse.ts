/** `res.sse`, `ctx.sse`: one getter per prototype, each object reading its own handle. */
import { LazySseStream } from './lazy-sse-stream.js';

/**
 * Where the object that exposes a stream as `sse` keeps it. Registered, so that two copies of
 * this module (two installs of @ssekit/core) defining the getter on one prototype read one key.
 */
const LAZY_STREAM = Symbol.for('ssekit.lazyStream');

interface ExposesLazyStream {
  [LAZY_STREAM]?: LazySseStream;
}

/** The prototypes that already have the `sse` getter. */
const prototypesWithGetter = new WeakSet<object>();

/**
 * Makes `owner.sse` (Express's `res`, Koa's `ctx`) the handle `lazy`; reading it opens nothing.
 * On other objects of the same prototype, `sse` is `undefined`. The getter is defined once, on
 * the owner's prototype (`app.response`, `app.context`: where each framework lets apps add
 * members): a getter of its own on each owner would turn every open connection's object into a
 * dictionary of properties (bench/README.md, "Memory per idle connection", has the figure).
 */
export function exposeAsSse(owner: object, lazy: LazySseStream): void {
  const prototype = (Object.getPrototypeOf(owner) as object | null) ?? owner;
  if (!prototypesWithGetter.has(prototype)) {
    Object.defineProperty(prototype, 'sse', {
      configurable: true,
      enumerable: false,
      get: readExposedHandle,
    });
    prototypesWithGetter.add(prototype);
  }
  (owner as ExposesLazyStream)[LAZY_STREAM] = lazy;
}

function readExposedHandle(this: ExposesLazyStream): LazySseStream | undefined {
  const lazy = this[LAZY_STREAM];
  if (lazy !== undefined) LazySseStream.markRead(lazy);
  return lazy;
}
