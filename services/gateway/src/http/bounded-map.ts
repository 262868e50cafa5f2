/** A Map that forgets its oldest entry past `limit` (filters and app ids come from callers). */
export class BoundedMap<K, V> extends Map<K, V> {
  private readonly limit: number;
  constructor(limit: number) {
    super();
    this.limit = limit;
  }
  override set(key: K, value: V): this {
    this.delete(key);
    super.set(key, value);
    if (this.size > this.limit) this.delete(this.keys().next().value as K);
    return this;
  }
}
