/**
 * A set that holds its first value in a field of its own and makes a real `Set` only for a
 * second: nearly every subscriber has one topic, and an empty-bodied `Set` costs several times
 * what its one value does (held per idle connection, thousands of times over).
 */

/** Marks an unused inline slot; no value can be this. */
const NONE: unique symbol = Symbol('ssekit.none');

/** A set of a few values, most often one. Iterates in insertion order, as `Set` does. */
export class SmallSet<T> implements Iterable<T> {
  #one: T | typeof NONE = NONE;
  #many: Set<T> | undefined;

  constructor(values: Iterable<T> = []) {
    for (const value of values) this.add(value);
  }

  get size(): number {
    if (this.#many !== undefined) return this.#many.size;
    return this.#one === NONE ? 0 : 1;
  }

  has(value: T): boolean {
    return this.#many !== undefined ? this.#many.has(value) : this.#one === value;
  }

  add(value: T): void {
    if (this.#many !== undefined) {
      this.#many.add(value);
    } else if (this.#one === NONE) {
      this.#one = value;
    } else if (this.#one !== value) {
      this.#many = new Set([this.#one, value]);
      this.#one = NONE;
    }
  }

  delete(value: T): boolean {
    if (this.#many !== undefined) return this.#many.delete(value);
    if (this.#one !== value) return false;
    this.#one = NONE;
    return true;
  }

  *[Symbol.iterator](): Iterator<T> {
    if (this.#many !== undefined) yield* this.#many;
    else if (this.#one !== NONE) yield this.#one;
  }
}
