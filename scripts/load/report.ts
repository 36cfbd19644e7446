import type { LoadModel } from './options.ts'
import { type LoadProgress, type LoadSummary, MAX_IN_FLIGHT } from './run.ts'
import { describeThreshold, type ThresholdResult } from './thresholds.ts'

/** `  3.0s  412 req/s  p50 12.3 ms  p99 45.1 ms  in flight 8  201:405 402 payment_declined:7` */
export function progressLine(progress: LoadProgress): string {
  const outcomes = Object.entries(progress.outcomes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([outcome, count]) => `${outcome}:${count}`)
    .join('  ')
  return [
    `${(progress.elapsedMs / 1000).toFixed(1).padStart(5)}s`,
    `${progress.rate.toFixed(0).padStart(5)} req/s`,
    `p50 ${ms(progress.latency.p50)}`,
    `p99 ${ms(progress.latency.p99)}`,
    `in flight ${progress.inFlight}`,
    outcomes,
  ].join('  ')
}

export function describeModel(model: LoadModel): string {
  return model.kind === 'open'
    ? `open model, ${model.rate} req/s offered`
    : `closed model, ${model.concurrency} concurrent`
}

/** What `--json` prints: the summary, with each threshold, what was measured and whether it held. */
export function jsonReport(summary: LoadSummary, thresholds: ThresholdResult[]): string {
  return JSON.stringify({ ...summary, thresholds }, null, 2)
}

/** The end-of-run table for people, then the thresholds if any were given. */
export function summaryTable(summary: LoadSummary, thresholds: ThresholdResult[] = []): string {
  const { latencyMs: latency } = summary
  const lines = [
    `${summary.url}/api/orders, ${describeModel(summary.model)}`,
    `${summary.requests} requests in ${(summary.elapsedMs / 1000).toFixed(1)} s: ${summary.throughput} req/s, ${summary.errors} errors` +
      (summary.notSent ? `, ${summary.notSent} not sent (over ${MAX_IN_FLIGHT} in flight)` : ''),
    `latency  min ${ms(latency.min)}  p50 ${ms(latency.p50)}  p90 ${ms(latency.p90)}  p95 ${ms(latency.p95)}  p99 ${ms(latency.p99)}  max ${ms(latency.max)}`,
    '',
  ]
  const rows = Object.entries(summary.outcomes).map(([outcome, { count, p50, p99 }]) => [
    outcome,
    String(count),
    `${((count * 100) / Math.max(summary.requests, 1)).toFixed(1)}%`,
    ms(p50),
    ms(p99),
  ])
  lines.push(...alignColumns([['outcome', 'count', 'share', 'p50', 'p99'], ...rows]))
  if (thresholds.length)
    lines.push('', ...thresholds.map((result) => `${result.passed ? '✓' : '✗'} ${describeThreshold(result)}`))
  return lines.join('\n')
}

export function ms(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`
}

/** Left-aligned first column, right-aligned others. */
function alignColumns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  '),
  )
}
