import { describe, expect, test } from 'bun:test'
import { LatencyHistogram } from '../../scripts/load/histogram.ts'
import { SecondSeries, statusClassOf } from '../../scripts/load/series.ts'

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
    expect(new LatencyHistogram().summary()).toEqual({ min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 })
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

describe('SecondSeries', () => {
  const START = 10_000

  test('each second counts what was sent and what ended in it, answers by status class', () => {
    const series = new SecondSeries(START)
    series.sent(START + 10)
    series.sent(START + 20)
    series.ended(START + 30, '201', 20)
    series.ended(START + 990, '402 payment_declined', 980)
    series.sent(START + 1500)
    series.notSent(START + 1600)
    series.ended(START + 1700, 'client_timeout', 200)
    // Percentiles within the histogram's 1%: rounded here.
    const rounded = series.seconds().map((second) => ({ ...second, p50: Math.round(second.p50!) }))
    expect(rounded).toEqual([
      { second: 0, sent: 2, notSent: 0, answered: { '2xx': 1, '4xx': 1, '5xx': 0 }, noAnswer: 0, p50: 20, p99: 980 },
      { second: 1, sent: 1, notSent: 1, answered: { '2xx': 0, '4xx': 0, '5xx': 0 }, noAnswer: 1, p50: 200, p99: 200 },
    ])
  })

  test('a second without events is still in the series, its percentiles null', () => {
    const series = new SecondSeries(START)
    series.ended(START + 100, '503 unavailable', 5)
    series.ended(START + 2100, '201', 7)
    const seconds = series.seconds()
    expect(seconds.map((second) => second.second)).toEqual([0, 1, 2])
    expect(seconds[1]).toMatchObject({ sent: 0, noAnswer: 0, p50: null, p99: null })
    expect(seconds[0]!.answered['5xx']).toBe(1)
  })

  test('the status class of an outcome, none for a request without an answer', () => {
    expect(['201', '409 insufficient_inventory', '504 payment_timeout', 'network_error'].map(statusClassOf)).toEqual([
      '2xx',
      '4xx',
      '5xx',
      undefined,
    ])
  })
})
