/**
 * Keeps entries whole: a publish made while an entry is being delivered (from a filter) is
 * stored once that delivery is done, in the order asked, so no subscriber gets a newer entry in
 * the middle of an older one.
 */
export class DeliveryGate {
  #delivering = false;
  readonly #waiting: (() => void)[] = [];

  /** Runs `deliver`, then the stores asked for meanwhile. */
  run(deliver: () => void): void {
    this.#delivering = true;
    try {
      deliver();
    } finally {
      this.#delivering = false;
    }
    for (let next = this.#waiting.shift(); next !== undefined; next = this.#waiting.shift()) next();
  }

  /** `store` now, or once the delivery under way is done. */
  whenDone(store: () => Promise<string>): Promise<string> {
    if (!this.#delivering) return store();
    return new Promise((resolve) => this.#waiting.push(() => resolve(store())));
  }
}
