import { describe, expect, test } from 'bun:test'
import { LatencyHistogram } from '../../scripts/load/histogram.ts'

function histogramOf(values: number[]): LatencyHistogram {
  const histogram = new LatencyHistogram()
  for (const value of values) histogram.record(value)
  return histogram
}

describe('LatencyHistogram', () => {
  test('percentiles are within 1% of the exact ones', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => (i + 1) / 10)
    const histogram = histogramOf(values)
    for (const [p, exact] of [
      [50, 500],
      [90, 900],
      [99, 990],
      [99.9, 999],
    ] as const) {
      expect(Math.abs(histogram.percentile(p) - exact) / exact).toBeLessThanOrEqual(0.01)
    }
    expect(histogram.percentile(100)).toBe(1000)
    expect(histogram.summary()).toMatchObject({ min: 0.1, max: 1000, mean: 500.05 })
  })

  test('a single value is every percentile, exactly', () => {
    const histogram = histogramOf([42.5])
    expect([histogram.percentile(0), histogram.percentile(50), histogram.percentile(99)]).toEqual([42.5, 42.5, 42.5])
  })

  test('an empty histogram reports zeros', () => {
    expect(new LatencyHistogram().summary()).toEqual({ min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 })
  })

  test('merging two halves gives the histogram of the whole', () => {
    const fast = histogramOf(Array.from({ length: 900 }, () => 2))
    const slow = histogramOf(Array.from({ length: 100 }, () => 300))
    fast.merge(slow)
    expect(fast.count).toBe(1000)
    expect(fast.percentile(50)).toBeCloseTo(2, 1)
    expect(fast.percentile(95)).toBeCloseTo(300, -1)
    expect(fast.min).toBe(2)
    expect(fast.max).toBe(300)
  })

  test('values far outside the usual range are still counted', () => {
    const histogram = histogramOf([0, 0.0001, 1e9])
    expect(histogram.count).toBe(3)
    expect(histogram.percentile(100)).toBe(1e9)
    expect(histogram.percentile(10)).toBeLessThanOrEqual(0.001)
  })
})
