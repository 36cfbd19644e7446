import { and, desc, gte, inArray, lte, or, type SQL, sql } from 'drizzle-orm'
import type { TraceQuery } from './query.ts'
import { resources, spans } from './schema.ts'
import type { CollectorDb } from './store.ts'
import { turn } from './turn.ts'

/** How long one search may take, queueing included; past it, the traces found so far are the answer. */
export const SLICED_SEARCH_BUDGET_MS = 5_000
/** How many spans one search may read; past it, the traces found so far are the answer. */
export const SLICED_SEARCH_MAX_ROWS = 2_000_000
/** What one slice of a search should take: the longest the event loop is held for it. */
const SLICE_TARGET_MS = 10
const MIN_SLICE_ROWS = 200
const MAX_SLICE_ROWS = 50_000
/** Spans of a trace that one service's part of the index holds, about: the first slice's rows per trace asked for. */
const SPANS_A_TRACE = 10

export interface SlicedSearchOptions {
  budgetMs?: number
  maxRows?: number
  /** Called after each slice: what a test watches. */
  onSlice?: (slice: { rows: number; ms: number }) => void
}

/**
 * `findTraceIds`: the spans of the search's time range are read newest first in slices of the start-time index (of
 * the service's part of it when the search names one), and every slice waits for its turn: one slice of one search
 * per turn of the event loop, so any number of searches share it with ingest and `/healthz`. The first slice is a
 * few spans for each trace asked for, as many as a search by service and time needs; each next one is sized to take
 * about 10 ms, for a search whose tag, operation or duration matches one span in a million. A slice first narrows
 * with `instr` on the stored JSON (a tag's key, and its value when that appears verbatim), then checks the rows left
 * with `where`, the search's exact conditions (a duration on the index entry, before the span's row is read). A
 * search stops at `limit` traces, at the end of its time range, or at its budget (5 s, two million spans) with the
 * traces found so far: it is then bounded, not exhaustive.
 */
export async function findTraceIdsInSlices(
  db: CollectorDb,
  query: TraceQuery,
  where: SQL | undefined,
  { budgetMs = SLICED_SEARCH_BUDGET_MS, maxRows = SLICED_SEARCH_MAX_ROWS, onSlice }: SlicedSearchOptions = {},
): Promise<string[]> {
  const deadline = performance.now() + budgetMs
  const narrow = await prefilter(db, query.tags)
  const found = new Set<string>()
  const lower = query.start ?? Number.MIN_SAFE_INTEGER
  let upper = query.end ?? Number.MAX_SAFE_INTEGER
  let sliceRows = Math.min(MAX_SLICE_ROWS, Math.max(MIN_SLICE_ROWS, query.limit * SPANS_A_TRACE))
  let read = 0
  while (found.size < query.limit && upper >= lower && read < maxRows) {
    await turn()
    if (performance.now() > deadline) break
    const started = performance.now()
    // The start time of the span `sliceRows` back from `upper`: the slice is [from, upper]. Spans that started in
    // the same microsecond stay in one slice, however many there are.
    const { rows: older } = await db.$client.execute({
      sql: `select start_time from spans where start_time >= ? and start_time <= ?${query.service === undefined ? '' : ' and service_name = ?'} order by start_time desc limit 1 offset ?`,
      args: [lower, upper, ...(query.service === undefined ? [] : [query.service]), sliceRows],
    })
    const olderTime = older[0]?.[0]
    const from = olderTime === undefined || olderTime === null ? lower : Math.min(upper, Number(olderTime) + 1)
    const page = await db
      .select({ traceId: spans.traceId })
      .from(spans)
      .where(and(gte(spans.startTime, from), lte(spans.startTime, upper), narrow, where))
      .orderBy(desc(spans.startTime))
    for (const row of page) {
      found.add(row.traceId)
      if (found.size === query.limit) break
    }
    read += sliceRows
    upper = from - 1
    const ms = performance.now() - started
    onSlice?.({ rows: sliceRows, ms })
    sliceRows = Math.round(
      Math.min(MAX_SLICE_ROWS, Math.max(MIN_SLICE_ROWS, (sliceRows * SLICE_TARGET_MS) / Math.max(ms, 0.5))),
    )
  }
  return [...found]
}

/** Numbers whose text SQLite may write otherwise than JSON does (`1e+21`, digits past 15): no value narrowing. */
const REAL = /^[-+]?(\d+\.\d*|\.\d+|\d+[eE][-+]?\d+|\d+\.\d*[eE][-+]?\d+)$/
/** Whether `JSON.stringify` escapes a character of the text (quote, backslash, control): it is not stored verbatim. */
const escaped = (text: string) => [...text].some((char) => char === '"' || char === '\\' || char < ' ')

/**
 * A necessary condition for every tag, cheap to test: the stored attributes of the span (or of its resource)
 * contain `"key":"<key>"`, and the value's text too when it appears verbatim in JSON (strings without characters
 * JSON escapes, integers, `true`/`false`). `error` is left to `where` (it also matches a span's status).
 */
async function prefilter(db: CollectorDb, tags: Record<string, string>): Promise<SQL | undefined> {
  const conditions: SQL[] = []
  for (const [key, value] of Object.entries(tags)) {
    if (key === 'error') continue
    const needles = [`"key":${JSON.stringify(key)}`]
    if (value !== '' && !escaped(value) && !REAL.test(value)) needles.push(value)
    const contains = (column: typeof spans.attributes | typeof resources.attributes) =>
      and(...needles.map((needle) => sql`instr(${column}, ${needle}) > 0`))!
    const resourceIds = (
      await db.select({ id: resources.id }).from(resources).where(contains(resources.attributes))
    ).map((row) => row.id)
    conditions.push(
      resourceIds.length
        ? or(contains(spans.attributes), inArray(spans.resourceId, resourceIds))!
        : contains(spans.attributes),
    )
  }
  return conditions.length ? and(...conditions) : undefined
}
