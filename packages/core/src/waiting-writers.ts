/**
 * Writers waiting for a stream's buffer to fall below its high-water mark: `write()` and the
 * hub's replay wait here, and are let go together when the client reads or the stream closes.
 */

/** @internal Resolves once the stream can take more, or has closed. Used by the hub's replay. */
export const whenWritable = Symbol.for('ssekit.whenWritable');

export class WaitingWriters {
  /** Created by the first writer that has to wait: most streams never need it. */
  #resolvers: Array<() => void> | undefined;

  get any(): boolean {
    return this.#resolvers !== undefined;
  }

  wait(): Promise<void> {
    this.#resolvers ??= [];
    const resolvers = this.#resolvers;
    return new Promise((resolve) => resolvers.push(resolve));
  }

  wakeAll(): void {
    const resolvers = this.#resolvers;
    if (resolvers === undefined) return;
    this.#resolvers = undefined;
    for (const resolve of resolvers) resolve();
  }
}
