const UNITS: Record<string, number> = {
  ns: 0.001,
  us: 1,
  µs: 1,
  μs: 1,
  ms: 1000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
}
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y

/**
 * A Go duration (`1s`, `250ms`, `1m30s`, `1.5h`) in microseconds, or undefined when it is not one or is too long
 * to count exactly as a number (over 2^53 - 1 µs, about 285 years).
 */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0
  if (!text) return undefined
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text)
    if (!match) return undefined
    total += Number(match[1]) * UNITS[match[2]!]!
  }
  const micros = Math.round(total)
  return Number.isSafeInteger(micros) ? micros : undefined
}

/** Microseconds as a short human duration: `850µs`, `12.3ms`, `4.7s`, `2m05s`. */
export function formatMicros(micros: number): string {
  if (micros < 1000) return `${Math.round(micros)}µs`
  if (micros < 1_000_000) return `${trim(micros / 1000)}ms`
  if (micros < 60_000_000) return `${trim(micros / 1_000_000)}s`
  const seconds = Math.round(micros / 1_000_000)
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
}

/** Microseconds since the epoch as an ISO 8601 time, how reports and pages show when something started. */
export const formatTimestamp = (micros: number) => new Date(micros / 1000).toISOString()

const trim = (value: number) =>
  value >= 100 ? Math.round(value).toString() : value.toFixed(value >= 10 ? 1 : 2).replace(/\.?0+$/, '')
