/**
 * When the broker is told a topic is wanted here and when it no longer is
 * (`Broker.interest`: on at the first, off at the last, per topic). Two kinds of things want
 * a topic: a local subscription (the registry's) and a `subscribe` call an async `authorize` is
 * still deciding, so that a broker reading only what is wanted reads its topics meanwhile.
 */
export class TopicInterest {
  readonly #wanted = new Map<string, number>();
  readonly #tell: (topic: string, subscribed: boolean) => void;

  /** `tell` passes the change on to the broker; it is not called for a change that is none. */
  constructor(tell: (topic: string, subscribed: boolean) => void) {
    this.#tell = tell;
  }

  want(topic: string): void {
    const count = this.#wanted.get(topic) ?? 0;
    this.#wanted.set(topic, count + 1);
    if (count === 0) this.#tell(topic, true);
  }

  release(topic: string): void {
    const count = this.#wanted.get(topic) ?? 0;
    if (count > 1) {
      this.#wanted.set(topic, count - 1);
      return;
    }
    this.#wanted.delete(topic);
    if (count === 1) this.#tell(topic, false);
  }
}
