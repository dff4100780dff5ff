// A bounded in-process LRU cache, weighed in bytes. Used for immutable, content-addressed
// values (manifest bytes by digest), which are never stale and so need no invalidation.
export class LruCache<V> {
  private readonly map = new Map<string, { value: V; weight: number }>()
  private total = 0

  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (value: V) => number,
  ) {}

  get(key: string): V | undefined {
    const entry = this.map.get(key)
    if (entry === undefined) return undefined
    this.map.delete(key)
    this.map.set(key, entry)
    return entry.value
  }

  set(key: string, value: V): void {
    const weight = this.weigh(value)
    if (weight > this.maxWeight) return
    this.delete(key)
    this.map.set(key, { value, weight })
    this.total += weight
    for (const [k, e] of this.map) {
      if (this.total <= this.maxWeight) break
      this.map.delete(k)
      this.total -= e.weight
    }
  }

  delete(key: string): void {
    const entry = this.map.get(key)
    if (entry === undefined) return
    this.map.delete(key)
    this.total -= entry.weight
  }

  clear(): void {
    this.map.clear()
    this.total = 0
  }

  get size(): number {
    return this.map.size
  }
}
