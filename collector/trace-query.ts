import { z } from 'zod'
import { AppError } from '../shared/errors.ts'
import { parseJson } from '../shared/validation.ts'
import { parseGoDuration } from './duration.ts'
import type { TraceQuery } from './query.ts'

export const DEFAULT_LIMIT = 20
export const MAX_LIMIT = 1500

const text = z.string().optional()

/** The query string of `GET /api/traces`, as the Jaeger v1 API names it. */
export const traceSearchParams = z.object({
  service: text,
  operation: text,
  tags: text,
  tag: z.union([z.string(), z.array(z.string())]).optional(),
  minDuration: text,
  maxDuration: text,
  start: text,
  end: text,
  lookback: text,
  limit: text,
})

export type TraceSearchParams = z.infer<typeof traceSearchParams>

/** Turns the Jaeger query string into a search: durations as Go strings, times in microseconds. */
export function toTraceQuery(params: TraceSearchParams, now = Date.now()): TraceQuery {
  const lookback = duration('lookback', params.lookback)
  return {
    service: params.service || undefined,
    operation: params.operation || undefined,
    tags: { ...parseTags(params.tags), ...parsePairs([params.tag ?? []].flat()) },
    minDuration: duration('minDuration', params.minDuration),
    maxDuration: duration('maxDuration', params.maxDuration),
    start: nonNegativeInteger('start', params.start) ?? (lookback === undefined ? undefined : now * 1000 - lookback),
    end: nonNegativeInteger('end', params.end),
    limit: Math.min(MAX_LIMIT, nonNegativeInteger('limit', params.limit) || DEFAULT_LIMIT),
  }
}

function duration(name: string, value: string | undefined): number | undefined {
  if (!value) return undefined
  const parsed = parseGoDuration(value)
  if (parsed === undefined)
    throw new AppError(
      400,
      'invalid_request',
      `${name}: not a duration like 1s or 250ms (up to about 285 years): ${value}`,
    )
  return parsed
}

/**
 * Times in microseconds and the limit: whole numbers, never negative, and exact as numbers (at most 2^53 - 1);
 * longer digit strings would be rounded, or become Infinity, which the database refuses.
 */
function nonNegativeInteger(name: string, value: string | undefined): number | undefined {
  if (!value) return undefined
  const number = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number))
    throw new AppError(400, 'invalid_request', `${name}: not an integer from 0 to ${Number.MAX_SAFE_INTEGER}: ${value}`)
  return number
}

/** `tags` is a JSON object (what Jaeger's UI sends) or space-separated `key:value` pairs. */
function parseTags(value: string | undefined): Record<string, string> {
  if (!value?.trim()) return {}
  if (value.trim().startsWith('{')) {
    // Starting with `{`, it is a JSON object or not JSON at all.
    const parsed = parseJson(value, 'tags') as Record<string, unknown>
    return Object.fromEntries(Object.entries(parsed).map(([key, tagValue]) => [key, String(tagValue)]))
  }
  return parsePairs(value.trim().split(/\s+/))
}

function parsePairs(pairs: string[]): Record<string, string> {
  const tags: Record<string, string> = {}
  for (const pair of pairs) {
    const separator = pair.search(/[:=]/)
    if (separator <= 0) throw new AppError(400, 'invalid_request', `tags: expected key:value, got ${pair}`)
    tags[pair.slice(0, separator)] = pair.slice(separator + 1)
  }
  return tags
}
