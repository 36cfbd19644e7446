import { AppError } from '../shared/errors.ts'
import { parseJson } from '../shared/validation.ts'
import { parseGoDuration } from './duration.ts'
import type { TraceQuery } from './query.ts'
import { JAEGER_DEFAULT_LIMIT, MAX_LIMIT, searchTags, validBool } from './trace-query.ts'

/** Reads a parameter by name: from the query string (GET) or from a request body flattened the same way (POST). */
export type Params = (name: string) => string | undefined

/**
 * A parameter by its canonical name (camelCase, as proto3 JSON names fields) or the snake_case alias Jaeger still
 * reads (Grafana sends `query.service_name`, Jaeger UI `query.serviceName`).
 */
export function named(params: Params, canonical: string): { value: string | undefined; name: string } {
  const value = params(canonical)
  if (value) return { value, name: canonical }
  const alias = canonical.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
  return { value: params(alias) || undefined, name: alias }
}

const malformed = (name: string, why: string) =>
  new AppError(400, 'invalid_request', `malformed parameter ${name}: ${why}`)

/**
 * `TraceQueryParameters` of FindTraces and FindTraceSummaries, checked as Jaeger's api_v3 gateway checks them: both
 * ends of the start-time window are required (RFC 3339, the first before the second), durations are Go durations,
 * `attributes` a JSON object, `searchDepth` an integer (100 when absent). `filter` is refused rather than ignored:
 * dropping a predicate would answer with more traces than were asked for.
 */
export function toV3TraceQuery(params: Params): TraceQuery {
  if (named(params, 'query.filter').value)
    throw new AppError(400, 'invalid_request', 'query.filter (structured filters) is not supported by this collector')
  const min = named(params, 'query.startTimeMin')
  const max = named(params, 'query.startTimeMax')
  if (!min.value || !max.value)
    throw new AppError(400, 'invalid_request', 'query.startTimeMin and query.startTimeMax are required')
  const minNanos = rfc3339Nanos(min.name, min.value)
  const maxNanos = rfc3339Nanos(max.name, max.value)
  if (minNanos >= maxNanos)
    throw new AppError(400, 'invalid_request', 'query.startTimeMin must be before query.startTimeMax')
  const depth = named(params, 'query.searchDepth')
  // `query.num_traces` is the older name of the search depth.
  const searchDepth = depth.value ? depth : named(params, 'query.numTraces')
  const rawTraces = named(params, 'query.rawTraces')
  validBool(rawTraces.name, rawTraces.value)
  return {
    service: named(params, 'query.serviceName').value,
    operation: named(params, 'query.operationName').value,
    tags: attributes(params),
    minDuration: duration(named(params, 'query.durationMin')),
    maxDuration: duration(named(params, 'query.durationMax')),
    // Spans start at whole microseconds: from the first at or after the minimum to the last before the maximum.
    start: clampMicros(ceilDivide(minNanos, 1000n)),
    end: clampMicros(ceilDivide(maxNanos, 1000n) - 1n),
    limit: limit(searchDepth),
  }
}

function attributes(params: Params): Record<string, string> {
  const { value, name } = named(params, 'query.attributes')
  if (!value) return {}
  const parsed = parseJson(value, name)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw malformed(name, 'not a JSON object of attribute values')
  return searchTags(Object.entries(parsed), name)
}

function duration({ value, name }: { value: string | undefined; name: string }): number | undefined {
  if (!value) return undefined
  const parsed = parseGoDuration(value)
  if (parsed === undefined) throw malformed(name, `not a duration like 1s or 250ms: ${value}`)
  return parsed
}

function limit({ value, name }: { value: string | undefined; name: string }): number {
  if (!value) return JAEGER_DEFAULT_LIMIT
  if (!/^[+-]?\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw malformed(name, `not an integer: ${value}`)
  const depth = Number(value)
  return depth > 0 ? Math.min(depth, MAX_LIMIT) : JAEGER_DEFAULT_LIMIT
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+\- ])(\d{2}):(\d{2}))$/

/**
 * An RFC 3339 time (Go's `RFC3339Nano` layout) as nanoseconds since the epoch. A space before the offset is read as
 * `+`: Grafana puts these times in the query string unencoded, and `+` then arrives as a space.
 */
export function rfc3339Nanos(name: string, value: string): bigint {
  const match = RFC3339.exec(value)
  if (!match) throw malformed(name, `not an RFC 3339 time like 2006-01-02T15:04:05.999Z: ${value}`)
  const [y, mo, d, h, mi, s] = match.slice(1, 7).map(Number)
  const [fraction = '', , sign, offsetHours, offsetMinutes] = match.slice(7)
  // setUTCFullYear rather than Date.UTC, which reads the years 0 to 99 as 1900 to 1999.
  const date = new Date(0)
  date.setUTCFullYear(y, mo - 1, d)
  date.setUTCHours(h, mi, s)
  // Date rolls 31 February over into March and 24:00 into the next day; Go refuses both, and so does this.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    throw malformed(name, `not a valid date and time: ${value}`)
  // Go takes an offset of up to 24 hours and 60 minutes (some write +24:00), and refuses more.
  if (Number(offsetHours ?? 0) > 24 || Number(offsetMinutes ?? 0) > 60)
    throw malformed(name, `not a valid time zone offset: ${value}`)
  const millis = date.getTime()
  const offsetMillis = sign ? (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000 : 0
  return BigInt(millis - offsetMillis) * 1_000_000n + BigInt(fraction.padEnd(9, '0'))
}

const ceilDivide = (value: bigint, by: bigint) => (value >= 0n ? (value + by - 1n) / by : value / by)

/** Nanoseconds as whole microseconds, in the range `clampMicros` keeps. */
export const microsOf = (nanos: bigint) => clampMicros(nanos / 1000n)

/** Microseconds clamped from the epoch (no span starts before) to what a number holds exactly (about 2255). */
const clampMicros = (value: bigint) =>
  Number(value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : value < 0n ? 0n : value)
