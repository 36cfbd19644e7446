import { formatMicros } from '../duration.ts'

/**
 * Round steps for an axis from 0 to `span`: 1, 2 or 5 times a power of ten, about `count` of them. The browser's
 * zoom script (`client/trace-zoom.ts`) repeats this for the part of the trace it shows.
 */
export function tickStep(span: number, count = 5): number {
  if (span <= 0) return 1
  const rough = span / count
  const power = 10 ** Math.floor(Math.log10(rough))
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough)!
  return Math.max(1, step)
}

/** Ticks of a duration axis: each one's place as a fraction of `span` and its label. */
export function durationTicks(span: number): { at: number; label: string }[] {
  const step = tickStep(span)
  const ticks = []
  for (let value = 0; value <= span; value += step)
    ticks.push({ at: value / Math.max(1, span), label: value === 0 ? '0' : formatMicros(value) })
  return ticks
}
