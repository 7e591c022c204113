/**
 * A bounded map of the last values used, by key: the least recently used goes first. The one
 * cache shape of the operator's hot paths (parsed blobs by SHA-256, parsed specs, wall clocks).
 */
export class Recent<T> {
  readonly #max: number;
  readonly #byKey = new Map<string, T>();

  constructor(max: number) {
    this.#max = max;
  }

  get(key: string): T | undefined {
    const value = this.#byKey.get(key);
    if (value !== undefined) this.remember(key, value);
    return value;
  }

  remember(key: string, value: T): void {
    this.#byKey.delete(key);
    this.#byKey.set(key, value);
    if (this.#byKey.size > this.#max) this.#byKey.delete(this.#byKey.keys().next().value ?? '');
  }
}
