import { formatMicros, formatTimestamp } from '../duration.ts'
import { tickStep } from './ticks.ts'
import type { TraceSummary } from './trace-summaries.ts'

const WIDTH = 1200
const HEIGHT = 220
const MARGIN = { left: 64, right: 16, top: 18, bottom: 24 }

/** Steps for a time axis, in microseconds: whole seconds, minutes, hours. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400].map(
  (seconds) => seconds * 1_000_000,
)

/**
 * Duration over time of the traces found, as Jaeger UI draws above its results: a dot a trace (red when it has
 * errors, bigger with more spans), each a link to its trace. Plain SVG, drawn on the server.
 */
export function Scatter({ traces }: { traces: TraceSummary[] }) {
  if (traces.length === 0) return null
  let first = Number.POSITIVE_INFINITY
  let last = Number.NEGATIVE_INFINITY
  let longest = 1
  for (const trace of traces) {
    first = Math.min(first, trace.start)
    last = Math.max(last, trace.start)
    longest = Math.max(longest, trace.duration)
  }
  // A lone trace, or several at once, still get a stretch of time around them.
  const pad = Math.max(1_000_000, (last - first) * 0.05)
  const [from, to] = [first - pad, last + pad]
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom
  const yStep = tickStep(longest, 4)
  const top = Math.ceil(longest / yStep) * yStep
  const x = (time: number) => MARGIN.left + ((time - from) / (to - from)) * plotWidth
  const y = (duration: number) => MARGIN.top + plotHeight - (duration / top) * plotHeight
  const xStep = TIME_STEPS.find((step) => (to - from) / step <= 6) ?? TIME_STEPS.at(-1)!
  const xTicks: number[] = []
  for (let time = Math.ceil(from / xStep) * xStep; time <= to; time += xStep) xTicks.push(time)
  const yTicks: number[] = []
  for (let value = 0; value <= top; value += yStep) yTicks.push(value)
  return (
    <figure class="scatter">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`duration of ${traces.length} traces over time`}>
        <line class="axis-line" x1={MARGIN.left} y1={y(0)} x2={WIDTH - MARGIN.right} y2={y(0)} />
        <line class="axis-line" x1={MARGIN.left} y1={MARGIN.top} x2={MARGIN.left} y2={y(0)} />
        <text x={4} y={12}>
          duration
        </text>
        <text x={WIDTH - MARGIN.right} y={12} text-anchor="end">
          start time (UTC) · a dot a trace, red with errors
        </text>
        {yTicks.map((value) => (
          <text x={MARGIN.left - 6} y={y(value) + 4} text-anchor="end">
            {value === 0 ? '0' : formatMicros(value)}
          </text>
        ))}
        {xTicks.map((time) => (
          <text x={x(time)} y={HEIGHT - 6} text-anchor="middle">
            {formatTimestamp(time).slice(11, 19)}
          </text>
        ))}
        {traces.map((trace) => (
          <a href={`/trace/${trace.traceId}`} class="dot-link">
            <circle
              cx={round(x(trace.start))}
              cy={round(y(trace.duration))}
              r={round(Math.min(10, 3.5 + Math.log2(trace.spans)))}
              class={trace.errors > 0 ? 'error' : undefined}
              data-trace={trace.traceId}
            >
              <title>
                {trace.rootService}: {trace.rootName} · {formatMicros(trace.duration)} · {trace.spans} spans ·{' '}
                {formatTimestamp(trace.start)}
              </title>
            </circle>
          </a>
        ))}
      </svg>
    </figure>
  )
}

const round = (value: number) => Math.round(value * 10) / 10
