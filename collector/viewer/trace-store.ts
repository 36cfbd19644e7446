import { and, asc, eq, inArray } from 'drizzle-orm'
import { type JaegerSpan, type JaegerTrace, toJaegerTrace } from '../jaeger.ts'
import type { SpanRecord, SpanResource } from '../model.ts'
import { toSpanRecords } from '../query.ts'
import { resources, spanEvents, spanLinks, spans } from '../schema.ts'
import type { CollectorDb } from '../store.ts'
import { turn } from '../turn.ts'
import { FAILED_SQL, jsonRows } from './sql.ts'

// The trace page reads a trace in two parts, each in slices with a pause between them, so a trace of 50k spans never
// holds the event loop: the outline of every span (enough for the tree, the critical path and the minimap), then
// the attributes, events and links of the spans the page shows.

/** Spans read per statement: a slice takes a few tens of milliseconds. */
const SLICE = 2000

type OutlineRow = [
  spanId: string,
  parentId: string | null,
  service: string,
  name: string,
  start: number,
  duration: number,
  failed: 0 | 1,
  message: string,
]

export interface TraceOutline {
  trace: JaegerTrace
  /** Every span id, in the primary key's order: where `findSpans` cuts its slices. */
  spanIds: string[]
}

/**
 * Every span of a trace without its attributes, events or links, as a Jaeger trace: one process a service, and
 * for a failing span the `error` and `otel.status_description` tags the tree reads. Undefined for no such trace.
 * Read by span id a slice at a time (the primary key's order), so no statement sorts the whole trace.
 */
export async function readOutline(db: CollectorDb, traceId: string): Promise<TraceOutline | undefined> {
  const processes: JaegerTrace['processes'] = {}
  const processIds = new Map<string, string>()
  const outline: JaegerSpan[] = []
  for (let after = ''; ; ) {
    const rows = await jsonRows<OutlineRow>(
      db,
      `select json_array(span_id, parent_span_id, service_name, name, start_time, duration, ${FAILED_SQL}, status_message) as row
       from spans where trace_id = ? and span_id > ? order by span_id limit ${SLICE}`,
      [traceId, after],
    )
    for (const [spanID, parentId, service, name, startTime, duration, failed, message] of rows) {
      let processID = processIds.get(service)
      if (!processID) {
        processID = `p${processIds.size + 1}`
        processIds.set(service, processID)
        processes[processID] = { serviceName: service, tags: [] }
      }
      outline.push({
        traceID: traceId,
        spanID,
        operationName: name,
        references: parentId ? [{ refType: 'CHILD_OF', traceID: traceId, spanID: parentId }] : [],
        flags: 0,
        startTime,
        duration,
        tags: failed
          ? [
              { key: 'error', type: 'bool', value: true },
              { key: 'otel.status_description', type: 'string', value: message },
            ]
          : [],
        logs: [],
        processID,
        warnings: null,
      })
    }
    await turn()
    if (rows.length < SLICE) break
    after = rows.at(-1)![0]
  }
  if (outline.length === 0) return undefined
  const spanIds = outline.map((span) => span.spanID)
  // The order the query API returns: by start time.
  outline.sort((a, b) => a.startTime - b.startTime)
  return { trace: { traceID: traceId, spans: outline, processes, warnings: null }, spanIds }
}

/** The named spans of a trace in full, as the query API shows them (its own process ids). */
export async function readSpans(db: CollectorDb, traceId: string, spanIds: string[]): Promise<JaegerTrace> {
  const records: SpanRecord[] = []
  const resourceIdOf = new Map<SpanRecord, string>()
  for (let from = 0; from < spanIds.length; from += 250) {
    const chunk = spanIds.slice(from, from + 250)
    const [spanRows, eventRows, linkRows] = await db.batch([
      db
        .select()
        .from(spans)
        .where(and(eq(spans.traceId, traceId), inArray(spans.spanId, chunk))),
      db
        .select()
        .from(spanEvents)
        .where(and(eq(spanEvents.traceId, traceId), inArray(spanEvents.spanId, chunk)))
        .orderBy(asc(spanEvents.spanId), asc(spanEvents.position)),
      db
        .select()
        .from(spanLinks)
        .where(and(eq(spanLinks.traceId, traceId), inArray(spanLinks.spanId, chunk)))
        .orderBy(asc(spanLinks.spanId), asc(spanLinks.position)),
    ])
    // The resources are read once for the whole page, below.
    toSpanRecords(spanRows, eventRows, linkRows, () => undefined).forEach((record, index) => {
      resourceIdOf.set(record, spanRows[index]!.resourceId)
      records.push(record)
    })
    await turn()
  }
  const resourceIds = [...new Set(resourceIdOf.values())]
  const resourceRows = resourceIds.length
    ? await db.select().from(resources).where(inArray(resources.id, resourceIds))
    : []
  const resourceById = new Map<string, SpanResource>(
    resourceRows.map((row) => [row.id, { serviceName: row.serviceName, attributes: row.attributes }]),
  )
  for (const record of records) record.resource = resourceById.get(resourceIdOf.get(record)!) ?? record.resource
  return toJaegerTrace(records)
}
