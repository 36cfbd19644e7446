const MIN_MS = 0.001
const GROWTH = 1.01
const LOG_GROWTH = Math.log(GROWTH)
/** 1 µs to about 2.7 hours at 1% steps. */
const BUCKETS = 3000

/**
 * Latencies in log-spaced buckets (HdrHistogram's idea at the resolution a load report needs): fixed memory
 * however long the run, mergeable across rounds, and percentiles within 1% of the exact value.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS)
  count = 0
  sum = 0
  min = Infinity
  max = 0

  record(ms: number): void {
    const value = Math.max(ms, 0)
    this.counts[bucketOf(value)]!++
    this.count++
    this.sum += value
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!
    this.count += other.count
    this.sum += other.sum
    this.min = Math.min(this.min, other.min)
    this.max = Math.max(this.max, other.max)
  }

  /** The smallest value that `p` percent of the samples do not exceed (0 when empty). */
  percentile(p: number): number {
    if (this.count === 0) return 0
    const rank = Math.max(1, Math.ceil((p / 100) * this.count))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return Math.min(Math.max(MIN_MS * GROWTH ** i, this.min), this.max)
    }
    return this.max
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count
  }

  /** min, mean, p50, p90, p95, p99, max in milliseconds, rounded to the microsecond. */
  summary(): LatencySummary {
    const round = (ms: number) => Math.round(ms * 1000) / 1000
    return {
      min: round(this.count ? this.min : 0),
      mean: round(this.mean()),
      p50: round(this.percentile(50)),
      p90: round(this.percentile(90)),
      p95: round(this.percentile(95)),
      p99: round(this.percentile(99)),
      max: round(this.max),
    }
  }
}

export interface LatencySummary {
  min: number
  mean: number
  p50: number
  p90: number
  p95: number
  p99: number
  max: number
}

/** Bucket i holds the values in (MIN·GROWTH^(i-1), MIN·GROWTH^i]. */
function bucketOf(ms: number): number {
  if (ms <= MIN_MS) return 0
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH))
}
