import type { Client, InStatement, InValue } from '@libsql/client'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import type { SpanRecord, SpanResource } from './model.ts'
import type * as schema from './schema.ts'

export type CollectorDb = LibSQLDatabase<typeof schema> & { $client: Client }

/**
 * The columns each table is written with, in bind order. Tags, events and links are stored as `JSON.stringify`
 * writes them (no spaces): readers narrow with `instr(attributes, '"key":"…"')` before parsing.
 */
export const SPAN_COLUMNS = [
  'trace_id',
  'span_id',
  'parent_span_id',
  'service_name',
  'name',
  'kind',
  'start_time',
  'duration',
  'status_code',
  'status_message',
  'trace_state',
  'flags',
  'attributes',
  'dropped_attributes_count',
  'dropped_events_count',
  'dropped_links_count',
  'resource_id',
  'scope_name',
  'scope_version',
]
export const EVENT_COLUMNS = ['trace_id', 'span_id', 'position', 'span_start_time', 'time', 'name', 'attributes']
export const LINK_COLUMNS = [
  'trace_id',
  'span_id',
  'position',
  'span_start_time',
  'linked_trace_id',
  'linked_span_id',
  'trace_state',
  'attributes',
]

/** `insert … on conflict do nothing` of `rows` rows: every table is keyed, so a span sent twice is stored once. */
export const insertSql = (table: string, columns: string[], rows = 1) => {
  const row = `(${columns.map(() => '?').join(', ')})`
  return `insert into ${table} (${columns.join(', ')}) values ${Array(rows).fill(row).join(', ')} on conflict do nothing`
}

export const INSERT_RESOURCE =
  'insert into resources (id, service_name, attributes) values (?, ?, ?) on conflict do nothing'
export const INSERT_OPERATION =
  'insert into operations (service_name, name, kind) values (?, ?, ?) on conflict do nothing'

/** The rows of a batch of spans, each a list of values in the order of its insert statement. */
export interface SpanRows {
  resources: Map<string, InValue[]>
  operations: Map<string, InValue[]>
  spans: InValue[][]
  events: InValue[][]
  links: InValue[][]
}

export function toRows(records: SpanRecord[]): SpanRows {
  const rows: SpanRows = { resources: new Map(), operations: new Map(), spans: [], events: [], links: [] }
  // Spans of one request share their resource object: its key is computed once per object.
  let lastResource: SpanResource | undefined
  let resourceId = ''
  for (const span of records) {
    const { traceId, spanId, startTime, resource } = span
    if (resource !== lastResource) {
      lastResource = resource
      resourceId = resourceKey(resource)
      if (!rows.resources.has(resourceId))
        rows.resources.set(resourceId, [resourceId, resource.serviceName, JSON.stringify(resource.attributes)])
    }
    const serviceName = resource.serviceName
    const operation = `${serviceName}\n${span.name}\n${span.kind}`
    if (!rows.operations.has(operation)) rows.operations.set(operation, [serviceName, span.name, span.kind])
    rows.spans.push([
      traceId,
      spanId,
      span.parentSpanId,
      serviceName,
      span.name,
      span.kind,
      startTime,
      span.duration,
      span.statusCode,
      span.statusMessage,
      span.traceState,
      span.flags,
      JSON.stringify(span.attributes),
      span.droppedAttributesCount,
      span.droppedEventsCount,
      span.droppedLinksCount,
      resourceId,
      span.scope.name,
      span.scope.version,
    ])
    for (let position = 0; position < span.events.length; position++) {
      const event = span.events[position]!
      rows.events.push([traceId, spanId, position, startTime, event.time, event.name, JSON.stringify(event.attributes)])
    }
    for (let position = 0; position < span.links.length; position++) {
      const link = span.links[position]!
      rows.links.push([
        traceId,
        spanId,
        position,
        startTime,
        link.traceId,
        link.spanId,
        link.traceState,
        JSON.stringify(link.attributes),
      ])
    }
  }
  return rows
}

/** SQLite allows 32766 bound variables a statement; stay well below. */
const MAX_VARIABLES = 30_000

/**
 * Stores decoded spans through a libSQL client, in one write transaction: resources and operations first (each
 * once), then the spans, their events and links, as multi-row inserts (few statements, so few round trips to a
 * remote libSQL server). Returns how many spans were new. A local file is written by `NativeSpanStore` instead.
 */
export async function insertSpans(db: CollectorDb, records: SpanRecord[]): Promise<number> {
  if (records.length === 0) return 0
  const rows = toRows(records)
  const before = [
    ...multiRow('resources', ['id', 'service_name', 'attributes'], [...rows.resources.values()]),
    ...multiRow('operations', ['service_name', 'name', 'kind'], [...rows.operations.values()]),
  ]
  const spanStatements = multiRow('spans', SPAN_COLUMNS, rows.spans)
  const results = await db.$client.batch(
    [
      ...before,
      ...spanStatements,
      ...multiRow('span_events', EVENT_COLUMNS, rows.events),
      ...multiRow('span_links', LINK_COLUMNS, rows.links),
    ],
    'write',
  )
  return results
    .slice(before.length, before.length + spanStatements.length)
    .reduce((sum, result) => sum + result.rowsAffected, 0)
}

function multiRow(table: string, columns: string[], rows: InValue[][]): InStatement[] {
  const size = Math.floor(MAX_VARIABLES / columns.length)
  const statements: InStatement[] = []
  for (let start = 0; start < rows.length; start += size) {
    const chunk = rows.slice(start, start + size)
    statements.push({ sql: insertSql(table, columns, chunk.length), args: chunk.flat() })
  }
  return statements
}

/** A content key for a resource: the same service and attributes from any process map to one row. */
export function resourceKey(resource: SpanResource): string {
  const text = JSON.stringify(resource)
  // Two 32-bit FNV-1a hashes with different offsets: 64 bits, synchronous and cheap.
  let a = 0x811c9dc5
  let b = 0x9747b28c
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    a = Math.imul(a ^ code, 0x01000193)
    b = Math.imul(b ^ code, 0x01000193)
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0')
}
