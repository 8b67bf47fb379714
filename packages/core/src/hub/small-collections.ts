/**
 * A set and a map that hold their first entry in fields of their own and make a real `Set` or
 * `Map` only for a second: nearly every subscriber has one topic, and an empty-bodied `Set` or
 * `Map` costs several times what its one entry does (held per idle connection, thousands of
 * times over).
 */

/** Marks an unused inline slot; no key or value can be this. */
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

/** A map of a few entries, most often one. Iterates in insertion order, as `Map` does. */
export class SmallMap<K, V> {
  #key: K | typeof NONE = NONE;
  #value: V | undefined;
  #many: Map<K, V> | undefined;

  get size(): number {
    if (this.#many !== undefined) return this.#many.size;
    return this.#key === NONE ? 0 : 1;
  }

  get(key: K): V | undefined {
    if (this.#many !== undefined) return this.#many.get(key);
    return this.#key === key ? this.#value : undefined;
  }

  set(key: K, value: V): void {
    if (this.#many !== undefined) {
      this.#many.set(key, value);
    } else if (this.#key === NONE || this.#key === key) {
      this.#key = key;
      this.#value = value;
    } else {
      this.#many = new Map([[this.#key, this.#value as V]]);
      this.#many.set(key, value);
      this.#key = NONE;
      this.#value = undefined;
    }
  }

  delete(key: K): boolean {
    if (this.#many !== undefined) return this.#many.delete(key);
    if (this.#key !== key) return false;
    this.#key = NONE;
    this.#value = undefined;
    return true;
  }

  /** The values, in insertion order (do not delete while going through them). */
  *values(): Iterable<V> {
    if (this.#many !== undefined) yield* this.#many.values();
    else if (this.#key !== NONE) yield this.#value as V;
  }

  /** The keys now, as an array: safe to delete entries while going through it. */
  keys(): K[] {
    if (this.#many !== undefined) return [...this.#many.keys()];
    return this.#key === NONE ? [] : [this.#key];
  }
}
