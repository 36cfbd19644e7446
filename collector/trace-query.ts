import { z } from 'zod'
import { AppError } from '../shared/errors.ts'
import { parseJson } from '../shared/validation.ts'
import { parseGoDuration } from './duration.ts'
import type { TraceQuery } from './query.ts'
import { parseTraceId } from './trace-id.ts'

/** The viewer's default page size. */
export const DEFAULT_LIMIT = 20
/** Jaeger's when a search names no limit. */
export const JAEGER_DEFAULT_LIMIT = 100
export const MAX_LIMIT = 1500
/** Tags one search may name: each is a condition of the query, and SQLite refuses an expression past a depth. */
export const MAX_TAGS = 64

const DAY = 86_400_000_000
// A parameter may repeat (`traceID`, `tag`, `tags`); Jaeger reads the first of the others, and so does this.
const param = z.union([z.string(), z.array(z.string())]).optional()

/** The query string of `GET /api/traces`, as the Jaeger v1 API names it. */
export const traceSearchParams = z.object({
  service: param,
  operation: param,
  tags: param,
  tag: param,
  minDuration: param,
  maxDuration: param,
  start: param,
  end: param,
  lookback: param,
  limit: param,
  traceID: param,
  raw: param,
})

export type TraceSearchParams = z.infer<typeof traceSearchParams>

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)
const all = (value: string | string[] | undefined) => [value ?? []].flat()

/**
 * Turns the Jaeger query string into a search: durations as Go strings, times in microseconds. `lookback` (Jaeger
 * UI's `1h`, `2d`, `2w`, or any Go duration) counts back from now only when neither `start` nor `end` is given:
 * Jaeger itself never reads it, its clients send `start` and `end` with it (`lookback=custom` from Grafana).
 */
export function toTraceQuery(params: TraceSearchParams, now = Date.now()): TraceQuery {
  const start = nonNegativeInteger('start', first(params.start))
  const end = nonNegativeInteger('end', first(params.end))
  const lookback = start === undefined && end === undefined ? lookbackMicros(first(params.lookback)) : undefined
  const minDuration = duration('minDuration', first(params.minDuration))
  const maxDuration = duration('maxDuration', first(params.maxDuration))
  if (minDuration && maxDuration && maxDuration < minDuration)
    throw new AppError(400, 'invalid_request', "'maxDuration' should be greater than 'minDuration'")
  validBool('raw', first(params.raw))
  return {
    service: first(params.service) || undefined,
    operation: first(params.operation) || undefined,
    tags: searchTags([...all(params.tags).flatMap(tagEntries), ...pairEntries(all(params.tag))], 'tags'),
    minDuration,
    maxDuration,
    start: start ?? (lookback === undefined ? undefined : Math.max(0, now * 1000 - lookback)),
    end,
    limit: Math.min(MAX_LIMIT, nonNegativeInteger('limit', first(params.limit)) || JAEGER_DEFAULT_LIMIT),
  }
}

/** The `traceID` values of a search, each a 32-digit hex id; a search naming any returns exactly those traces. */
export function traceIdsOf(params: TraceSearchParams): string[] {
  return all(params.traceID).map((raw) => {
    const traceId = parseTraceId(raw)
    if (!traceId) throw new AppError(400, 'invalid_request', `cannot parse traceID param: ${raw}`)
    return traceId
  })
}

function lookbackMicros(value: string | undefined): number | undefined {
  if (!value || value === 'custom') return undefined
  // Jaeger UI's presets count days and weeks, which Go durations do not have.
  const days = /^(\d+)([dw])$/.exec(value)
  const micros = days ? Number(days[1]) * (days[2] === 'w' ? 7 : 1) * DAY : parseGoDuration(value)
  if (micros === undefined || !Number.isSafeInteger(micros)) throw invalidDuration('lookback', value)
  return micros
}

function duration(name: string, value: string | undefined): number | undefined {
  if (!value) return undefined
  const parsed = parseGoDuration(value)
  if (parsed === undefined) throw invalidDuration(name, value)
  return parsed
}

const invalidDuration = (name: string, value: string) =>
  new AppError(400, 'invalid_request', `${name}: not a duration like 1s or 250ms (up to about 285 years): ${value}`)

/**
 * Times in microseconds and the limit: whole numbers, never negative, and exact as numbers (at most 2^53 - 1);
 * longer digit strings would be rounded, or become Infinity, which the database refuses.
 */
export function nonNegativeInteger(name: string, value: string | undefined): number | undefined {
  if (!value) return undefined
  const number = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number))
    throw new AppError(400, 'invalid_request', `${name}: not an integer from 0 to ${Number.MAX_SAFE_INTEGER}: ${value}`)
  return number
}

/** Go's `strconv.ParseBool`, which Jaeger checks `raw` and `rawTraces` with (this collector never adjusts spans). */
export function validBool(name: string, value: string | undefined): boolean | undefined {
  if (!value) return undefined
  if (/^(1|t|T|TRUE|true|True)$/.test(value)) return true
  if (/^(0|f|F|FALSE|false|False)$/.test(value)) return false
  throw new AppError(400, 'invalid_request', `${name}: not a boolean: ${value}`)
}

/** `tags` is a JSON object (what Jaeger's UI and Grafana send) or space-separated `key:value` pairs. */
function tagEntries(value: string): [string, unknown][] {
  if (!value.trim()) return []
  if (value.trim().startsWith('{')) {
    // Starting with `{`, it is a JSON object or not JSON at all.
    return Object.entries(parseJson(value, 'tags') as Record<string, unknown>)
  }
  return pairEntries(value.trim().split(/\s+/))
}

function pairEntries(pairs: string[]): [string, string][] {
  return pairs.map((pair) => {
    const separator = pair.search(/[:=]/)
    if (separator <= 0) throw new AppError(400, 'invalid_request', `tags: expected key:value, got ${pair}`)
    return [pair.slice(0, separator), pair.slice(separator + 1)]
  })
}

/**
 * The tags of a search from its `[key, value]` entries, a later one replacing an earlier one of the same key: values
 * are strings, numbers or booleans (compared as text), at most `MAX_TAGS` of them. Any key is a key, `__proto__`
 * too: the tags are an object without a prototype.
 */
export function searchTags(entries: [string, unknown][], name: string): Record<string, string> {
  const tags: Record<string, string> = Object.create(null)
  for (const [key, value] of entries) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      throw new AppError(400, 'invalid_request', `${name}: the value of ${key} is not a string, number or boolean`)
    tags[key] = String(value)
  }
  if (Object.keys(tags).length > MAX_TAGS)
    throw new AppError(400, 'invalid_request', `${name}: at most ${MAX_TAGS} tags in one search`)
  return tags
}
