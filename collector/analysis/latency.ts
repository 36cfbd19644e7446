/** Buckets grow by 1%: a percentile read from them is the largest duration seen in its bucket, at most 1% high. */
const GROWTH = Math.log(1.01)

/**
 * Calls, errors and latency percentiles of a stream of spans, in constant memory a bucket: durations are counted in
 * logarithmic buckets (about 1,600 cover 1 µs to a day), so a window of a million spans needs neither their list
 * nor a sort.
 */
export class Latencies {
  count = 0
  errors = 0
  private readonly buckets = new Map<number, { count: number; max: number }>()

  add(duration: number, failed: boolean): void {
    this.count++
    if (failed) this.errors++
    const key = Math.floor(Math.log(Math.max(1, duration)) / GROWTH)
    const bucket = this.buckets.get(key)
    if (bucket) {
      bucket.count++
      bucket.max = Math.max(bucket.max, duration)
    } else {
      this.buckets.set(key, { count: 1, max: duration })
    }
  }

  /** The nearest-rank percentile (`p` from 0 to 1) in microseconds; 0 with nothing counted. */
  percentile(p: number): number {
    const rank = Math.max(1, Math.ceil(p * this.count))
    let seen = 0
    for (const key of [...this.buckets.keys()].sort((a, b) => a - b)) {
      const bucket = this.buckets.get(key)!
      seen += bucket.count
      if (seen >= rank) return bucket.max
    }
    return 0
  }

  get errorShare(): number {
    return this.count === 0 ? 0 : this.errors / this.count
  }
}
