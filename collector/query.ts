import { and, asc, eq, gte, inArray, lte, ne, or, type SQL, sql } from 'drizzle-orm'
import type { SpanRecord, SpanResource } from './model.ts'
import { STATUS_ERROR } from './model.ts'
import { operations, resources, spanEvents, spanLinks, spans } from './schema.ts'
import { findTraceIdsInSlices, type SlicedSearchOptions } from './sliced-search.ts'
import type { CollectorDb } from './store.ts'

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

/** The outlines of the traces' spans, grouped by trace in the order asked; traces with no span are left out. */
export async function getSpanOutlines(db: CollectorDb, traceIds: string[]): Promise<SpanOutline[][]> {
  if (traceIds.length === 0) return []
  const rows = await db
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
    .where(inArray(spans.traceId, traceIds))
    .orderBy(asc(spans.startTime))
  const byTrace = new Map<string, SpanOutline[]>(traceIds.map((id) => [id, []]))
  for (const row of rows) byTrace.get(row.traceId)?.push(row)
  return [...byTrace.values()].filter((trace) => trace.length > 0)
}

/** Whole traces with every span, its events, links and resource; traces are returned in the order asked. */
export async function getTraces(db: CollectorDb, traceIds: string[]): Promise<SpanRecord[][]> {
  if (traceIds.length === 0) return []
  const [spanRows, eventRows, linkRows] = await db.batch([
    db.select().from(spans).where(inArray(spans.traceId, traceIds)).orderBy(asc(spans.startTime)),
    db.select().from(spanEvents).where(inArray(spanEvents.traceId, traceIds)).orderBy(asc(spanEvents.position)),
    db.select().from(spanLinks).where(inArray(spanLinks.traceId, traceIds)).orderBy(asc(spanLinks.position)),
  ])
  const resourceIds = [...new Set(spanRows.map((row) => row.resourceId))]
  const resourceRows = resourceIds.length
    ? await db.select().from(resources).where(inArray(resources.id, resourceIds))
    : []
  const resourceById = new Map<string, SpanResource>(
    resourceRows.map((row) => [row.id, { serviceName: row.serviceName, attributes: row.attributes }]),
  )
  const byTrace = new Map<string, SpanRecord[]>(traceIds.map((id) => [id, []]))
  const bySpan = new Map<string, SpanRecord>()
  for (const row of spanRows) {
    const record: SpanRecord = {
      ...row,
      events: [],
      links: [],
      resource: resourceById.get(row.resourceId) ?? { serviceName: row.serviceName, attributes: [] },
      scope: { name: row.scopeName, version: row.scopeVersion },
    }
    byTrace.get(row.traceId)?.push(record)
    bySpan.set(`${row.traceId}/${row.spanId}`, record)
  }
  for (const event of eventRows)
    bySpan
      .get(`${event.traceId}/${event.spanId}`)
      ?.events.push({ time: event.time, name: event.name, attributes: event.attributes })
  for (const link of linkRows) {
    bySpan.get(`${link.traceId}/${link.spanId}`)?.links.push({
      traceId: link.linkedTraceId,
      spanId: link.linkedSpanId,
      traceState: link.traceState,
      attributes: link.attributes,
    })
  }
  return traceIds.map((id) => byTrace.get(id)!).filter((trace) => trace.length > 0)
}
