import { AppError } from '../../shared/errors.ts'
import { DEFAULT_LIMIT, type TraceSearchParams } from '../trace-query.ts'

/** The search form as submitted (every field as text), and how it was filled in for the next render. */
export interface SearchForm {
  service: string
  operation: string
  tags: string
  lookback: string
  /** `datetime-local` values, read as UTC (the times the viewer prints are UTC). */
  start: string
  end: string
  minDuration: string
  maxDuration: string
  limit: string
  sort: SortOrder
  errors: boolean
}

export const LOOKBACKS = [
  ['5m', 'last 5 minutes'],
  ['15m', 'last 15 minutes'],
  ['30m', 'last 30 minutes'],
  ['1h', 'last hour'],
  ['2h', 'last 2 hours'],
  ['6h', 'last 6 hours'],
  ['12h', 'last 12 hours'],
  ['24h', 'last 24 hours'],
  ['48h', 'last 2 days'],
  ['168h', 'last 7 days'],
  ['custom', 'custom range'],
] as const

export const SORT_ORDERS = [
  ['recent', 'most recent'],
  ['longest', 'longest first'],
  ['shortest', 'shortest first'],
  ['spans', 'most spans'],
] as const
export type SortOrder = (typeof SORT_ORDERS)[number][0]

/** The form's fields from the query string, with Jaeger UI's defaults: the last hour, 20 traces, newest first. */
export function readSearchForm(query: (name: string) => string | undefined): SearchForm {
  const sort = query('sort')
  return {
    service: query('service') ?? '',
    operation: query('operation') ?? '',
    tags: query('tags') ?? '',
    lookback: LOOKBACKS.some(([value]) => value === query('lookback')) ? query('lookback')! : '1h',
    start: query('start') ?? '',
    end: query('end') ?? '',
    minDuration: query('minDuration') ?? '',
    maxDuration: query('maxDuration') ?? '',
    limit: query('limit') ?? String(DEFAULT_LIMIT),
    sort: SORT_ORDERS.find(([value]) => value === sort)?.[0] ?? 'recent',
    errors: query('errors') === 'on',
  }
}

/**
 * The form as the query API's search parameters (`toTraceQuery` checks durations and the limit). Tags are logfmt,
 * as in Jaeger UI: `key=value` pairs separated by spaces, a value with spaces in double quotes.
 */
export function toSearchParams(form: SearchForm): TraceSearchParams {
  const tags = parseLogfmt(form.tags)
  if (form.errors) tags.error = 'true'
  const custom = form.lookback === 'custom'
  return {
    service: form.service || undefined,
    operation: (form.service && form.operation) || undefined,
    tags: Object.keys(tags).length > 0 ? JSON.stringify(tags) : undefined,
    minDuration: form.minDuration.trim() || undefined,
    maxDuration: form.maxDuration.trim() || undefined,
    lookback: custom ? undefined : form.lookback,
    start: custom ? utcMicros('start', form.start) : undefined,
    end: custom ? utcMicros('end', form.end) : undefined,
    limit: form.limit.trim() || undefined,
  }
}

const PAIR = /\s*([^\s=]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*/y

export function parseLogfmt(text: string): Record<string, string> {
  // No prototype: a `__proto__=x` pair is a tag like any other.
  const tags: Record<string, string> = Object.create(null)
  PAIR.lastIndex = 0
  const input = text.trim()
  while (PAIR.lastIndex < input.length) {
    const start = PAIR.lastIndex
    const match = PAIR.exec(input)
    if (!match)
      throw new AppError(
        400,
        'invalid_request',
        `tags: expected key=value pairs, got ${input.slice(start).split(/\s/)[0]}`,
      )
    tags[match[1]!] = match[2] === undefined ? match[3]! : match[2].replace(/\\(.)/g, '$1')
  }
  return tags
}

/** A `datetime-local` value (`2024-05-01T10:00`, seconds optional) as UTC microseconds, as the API takes times. */
function utcMicros(name: string, value: string): string | undefined {
  if (!value) return undefined
  const millis = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value) ? Date.parse(`${value}Z`) : Number.NaN
  if (Number.isNaN(millis) || millis < 0)
    throw new AppError(400, 'invalid_request', `${name}: not a date and time like 2024-05-01T10:00: ${value}`)
  return String(millis * 1000)
}
