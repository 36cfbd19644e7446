import { and, asc, eq, gt, gte, inArray, lte, ne, or, type SQL, sql } from 'drizzle-orm'
import type { SpanRecord, SpanResource } from './model.ts'
import { STATUS_ERROR } from './model.ts'
import { operations, resources, spanEvents, spanLinks, spans } from './schema.ts'
import { findTraceIdsInSlices, type SlicedSearchOptions } from './sliced-search.ts'
import type { CollectorDb } from './store.ts'
import { turn } from './turn.ts'

/** A search as the Jaeger API takes it; times and durations in microseconds. */
export interface TraceQuery {
  service?: string
  operation?: string
  tags: Record<string, string>
  minDuration?: number
  maxDuration?: number
  start?: number
  end?: number
  limit: number
}

export async function listServices(db: CollectorDb): Promise<string[]> {
  const rows = await db
    .selectDistinct({ name: operations.serviceName })
    .from(operations)
    .orderBy(asc(operations.serviceName))
  return rows.map((row) => row.name)
}

export function listOperations(db: CollectorDb, service: string): Promise<{ name: string; kind: number }[]> {
  return db
    .select({ name: operations.name, kind: operations.kind })
    .from(operations)
    .where(eq(operations.serviceName, service))
    .orderBy(asc(operations.name))
}

/**
 * Ids of the most recent traces holding a span that matches every criterion, newest first, read in slices of the
 * start-time index within a budget (sliced-search.ts): a search stops as soon as it has `limit` traces, and never
 * holds the event loop long, whether a tag matches one span in a million or one trace's 50k spans fill its range.
 * `slices` is what a test watches.
 */
export function findTraceIds(db: CollectorDb, query: TraceQuery, slices?: SlicedSearchOptions): Promise<string[]> {
  return findTraceIdsInSlices(db, query, and(...conditions(query)), slices)
}

function conditions(query: TraceQuery): (SQL | undefined)[] {
  return [
    query.service === undefined ? undefined : eq(spans.serviceName, query.service),
    query.operation === undefined ? undefined : eq(spans.name, query.operation),
    // A duration of 0 (or under a microsecond) bounds nothing, as in Jaeger: `maxDuration=0` is no maximum.
    query.minDuration ? gte(spans.duration, query.minDuration) : undefined,
    query.maxDuration ? lte(spans.duration, query.maxDuration) : undefined,
    query.start === undefined ? undefined : gte(spans.startTime, query.start),
    query.end === undefined ? undefined : lte(spans.startTime, query.end),
    ...Object.entries(query.tags).map(([key, value]) => tagCondition(key, value)),
  ]
}

/** The text a tag value is compared as: booleans as `true`/`false`, numbers in their decimal form. */
const tagText = sql`case json_extract(tag.value, '$.type') when 'bool' then iif(json_extract(tag.value, '$.value'), 'true', 'false') else cast(json_extract(tag.value, '$.value') as text) end`

/**
 * `key:value` matches a span attribute or an attribute of the span's resource, as in Jaeger. `error:true` also
 * matches spans whose status is ERROR (what OpenTelemetry SDKs set), and `error:false` the others.
 */
function tagCondition(key: string, value: string): SQL | undefined {
  const spanTag = sql`exists (select 1 from json_each(${spans.attributes}) tag where json_extract(tag.value, '$.key') = ${key} and ${tagText} = ${value})`
  const resourceTag = sql`exists (select 1 from ${resources}, json_each(${resources.attributes}) tag where ${resources.id} = ${spans.resourceId} and json_extract(tag.value, '$.key') = ${key} and ${tagText} = ${value})`
  if (key === 'error' && value === 'true') return or(eq(spans.statusCode, STATUS_ERROR), spanTag)
  if (key === 'error' && value === 'false') return and(ne(spans.statusCode, STATUS_ERROR), sql`not ${spanTag}`)
  return or(spanTag, resourceTag)
}

/** What a trace summary needs of each span, without attributes, events, links or resources. */
export interface SpanOutline {
  traceId: string
  spanId: string
  parentSpanId: string | null
  serviceName: string
  name: string
  startTime: number
  duration: number
  statusCode: number
}

/**
 * The outlines of the traces' spans, a trace at a time in the order asked (traces with no span left out), each
 * trace's in span id order: read as `traceSlices` reads spans, in slices with the event loop free between.
 */
export async function* traceOutlines(db: CollectorDb, traceIds: string[]): AsyncGenerator<SpanOutline[]> {
  const { outlinesAfter } = sliceReads(db)
  let trace: SpanOutline[] = []
  for await (const slice of byTraceInSlices(traceIds, OUTLINE_SLICE_SPANS, (traceId, after, limit) =>
    outlinesAfter.all({ traceId, after, limit }),
  )) {
    if (trace.length > 0 && trace[0]!.traceId !== slice[0]!.traceId) {
      yield trace
      trace = []
    }
    trace.push(...slice)
  }
  if (trace.length > 0) yield trace
}

/**
 * The statements `traceSlices` and `traceOutlines` read with, built once for each database (a search reads up to 1500
 * traces, and drizzle would otherwise build each statement again for each): a trace's spans, or their outlines, after
 * a span id in the key's order, and the events and links of the spans in a range of ids.
 */
const sliceReads = onePerDatabase((db) => {
  const afterSpan = and(eq(spans.traceId, sql.placeholder('traceId')), gt(spans.spanId, sql.placeholder('after')))
  const inRange = (table: typeof spanEvents | typeof spanLinks) =>
    and(
      eq(table.traceId, sql.placeholder('traceId')),
      gte(table.spanId, sql.placeholder('first')),
      lte(table.spanId, sql.placeholder('last')),
    )
  return {
    spansAfter: db
      .select()
      .from(spans)
      .where(afterSpan)
      .orderBy(asc(spans.spanId))
      .limit(sql.placeholder('limit'))
      .prepare(),
    outlinesAfter: db
      .select({
        traceId: spans.traceId,
        spanId: spans.spanId,
        parentSpanId: spans.parentSpanId,
        serviceName: spans.serviceName,
        name: spans.name,
        startTime: spans.startTime,
        duration: spans.duration,
        statusCode: spans.statusCode,
      })
      .from(spans)
      .where(afterSpan)
      .orderBy(asc(spans.spanId))
      .limit(sql.placeholder('limit'))
      .prepare(),
    // In the key's order (trace, span, position): no sort.
    eventsOf: db
      .select()
      .from(spanEvents)
      .where(inRange(spanEvents))
      .orderBy(asc(spanEvents.spanId), asc(spanEvents.position))
      .prepare(),
    linksOf: db
      .select()
      .from(spanLinks)
      .where(inRange(spanLinks))
      .orderBy(asc(spanLinks.spanId), asc(spanLinks.position))
      .prepare(),
  }
})

/** `make(db)`, made once for each database and kept while the database is. */
function onePerDatabase<T>(make: (db: CollectorDb) => T): (db: CollectorDb) => T {
  const made = new WeakMap<CollectorDb, T>()
  return (db) => {
    let value = made.get(db)
    if (value === undefined) {
      value = make(db)
      made.set(db, value)
    }
    return value
  }
}

/** Outlines one slice holds: a tenth of a whole span's work each (no attributes, events or links). */
const OUTLINE_SLICE_SPANS = 2_000

/** Spans one slice of `traceSlices` holds at most; fewer when spans are big (`byTraceInSlices`). */
export const TRACE_SLICE_SPANS = 1_000

/**
 * The traces' spans with their events, links and resources, a slice at a time: traces in the order asked (one with
 * no span yields nothing), a trace's spans in span id order (the key's), and the event loop free between two slices,
 * small traces sharing one. A trace of 50k spans read at once held the loop for most of a second; an answer written
 * out slice by slice (`jsonStream`) holds it for one slice at a time.
 */
export function traceSlices(
  db: CollectorDb,
  traceIds: string[],
  sliceSpans = TRACE_SLICE_SPANS,
): AsyncGenerator<SpanRecord[]> {
  const resourceById = new Map<string, SpanResource>()
  const { spansAfter, eventsOf, linksOf } = sliceReads(db)
  return byTraceInSlices(traceIds, sliceSpans, async (traceId, after, limit) => {
    const rows = await spansAfter.all({ traceId, after, limit })
    if (rows.length === 0) return []
    const range = { traceId, first: rows[0]!.spanId, last: rows.at(-1)!.spanId }
    const [eventRows, linkRows] = [await eventsOf.all(range), await linksOf.all(range)]
    const unknown = [...new Set(rows.map((row) => row.resourceId))].filter((id) => !resourceById.has(id))
    if (unknown.length > 0)
      for (const row of await db.select().from(resources).where(inArray(resources.id, unknown)))
        resourceById.set(row.id, { serviceName: row.serviceName, attributes: row.attributes })
    return toSpanRecords(rows, eventRows, linkRows, (row) => resourceById.get(row.resourceId))
  })
}

/**
 * Rows of spans, and the rows of their events and links, as `SpanRecord`s in the order of `rows`; a span's resource is
 * `resourceOf(row)`, or one holding only its service name.
 */
export function toSpanRecords(
  rows: (typeof spans.$inferSelect)[],
  eventRows: (typeof spanEvents.$inferSelect)[],
  linkRows: (typeof spanLinks.$inferSelect)[],
  resourceOf: (row: typeof spans.$inferSelect) => SpanResource | undefined,
): SpanRecord[] {
  const bySpan = new Map<string, SpanRecord>()
  for (const row of rows)
    bySpan.set(row.spanId, {
      ...row,
      events: [],
      links: [],
      resource: resourceOf(row) ?? { serviceName: row.serviceName, attributes: [] },
      scope: { name: row.scopeName, version: row.scopeVersion },
    })
  for (const event of eventRows)
    bySpan.get(event.spanId)?.events.push({ time: event.time, name: event.name, attributes: event.attributes })
  for (const link of linkRows)
    bySpan.get(link.spanId)?.links.push({
      traceId: link.linkedTraceId,
      spanId: link.linkedSpanId,
      traceState: link.traceState,
      attributes: link.attributes,
    })
  return [...bySpan.values()]
}

/** Milliseconds of reading a turn of the event loop takes, about; what the answer makes of the rows comes on top. */
const READ_TARGET_MS = 10
/** The fewest spans a slice asks for, however big they are. */
const MIN_SLICE_SPANS = 10

/**
 * The rows `read` gives for the traces (a trace's rows after a span id, in span id order, at most `limit`), a slice of
 * one trace at a time, with a turn of the event loop (`turn`) whenever the reads since the last one reach `maxRows`
 * rows or `READ_TARGET_MS`: small traces share a turn, and the next turn asks for as many rows as the last turn's
 * pace fits in the target, so big rows (attributes of many kilobytes, hundreds of events) make smaller slices.
 */
async function* byTraceInSlices<Row extends { spanId: string }>(
  traceIds: string[],
  maxRows: number,
  read: (traceId: string, after: string, limit: number) => Promise<Row[]>,
): AsyncGenerator<Row[]> {
  let limit = maxRows
  let rowsThisTurn = 0
  let readMs = Number.POSITIVE_INFINITY
  for (const traceId of new Set(traceIds)) {
    for (let after = ''; ; ) {
      if (rowsThisTurn >= limit || readMs >= READ_TARGET_MS) {
        if (rowsThisTurn > 0)
          limit = Math.round(
            Math.min(maxRows, Math.max(MIN_SLICE_SPANS, (rowsThisTurn * READ_TARGET_MS) / Math.max(readMs, 0.1))),
          )
        await turn()
        rowsThisTurn = 0
        readMs = 0
      }
      const asked = limit - rowsThisTurn
      const started = performance.now()
      const rows = await read(traceId, after, asked)
      readMs += performance.now() - started
      rowsThisTurn += rows.length
      if (rows.length > 0) yield rows
      if (rows.length < asked) break
      after = rows.at(-1)!.spanId
    }
  }
}
