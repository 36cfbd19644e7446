import type { Threshold } from './options.ts'
import type { LoadSummary } from './run.ts'

export interface ThresholdResult extends Threshold {
  /** What the run measured, in the threshold's unit; null when no request ended. */
  actual: number | null
  passed: boolean
}

/** Each threshold against the run. A run in which no request ended breaks them all: it proved nothing. */
export function checkThresholds(summary: LoadSummary, thresholds: Threshold[]): ThresholdResult[] {
  return thresholds.map((threshold) => {
    const actual = summary.requests === 0 ? null : measured(summary, threshold.metric)
    return { ...threshold, actual, passed: actual !== null && actual <= threshold.max }
  })
}

/** `p99 212 ms ≤ 300 ms (--max-p99)`, `error rate 3.2% > 1% (--max-error-rate)`. */
export function describeThreshold(result: ThresholdResult): string {
  const name = result.metric === 'errorRate' ? 'error rate' : result.metric
  if (result.actual === null) return `${name}: no request ended (${result.option})`
  const format = result.metric === 'errorRate' ? percent : milliseconds
  return `${name} ${format(result.actual)} ${result.passed ? '≤' : '>'} ${format(result.max)} (${result.option})`
}

function measured(summary: LoadSummary, metric: Threshold['metric']): number {
  return metric === 'errorRate' ? summary.errors / summary.requests : summary.latencyMs[metric]
}

/** Three significant digits under 100 ms (a limit can be 0.5 ms), whole milliseconds above. */
const milliseconds = (ms: number) => `${ms >= 100 ? Math.round(ms) : Number(ms.toPrecision(3))} ms`
const percent = (share: number) => `${Number((share * 100).toFixed(2))}%`
