import type { Client, InStatement, InValue } from '@libsql/client'
import { getTableColumns, getTableName } from 'drizzle-orm'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import type { SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { SpanRecord, SpanResource } from './model.ts'
import type * as schema from './schema.ts'
import { operations, resources, spanEvents, spanLinks, spans } from './schema.ts'

export type CollectorDb = LibSQLDatabase<typeof schema> & { $client: Client }

/** SQLite allows 32766 bound variables a statement; stay well below. */
const MAX_VARIABLES = 30_000

/**
 * Stores decoded spans in one transaction: resources and operations first (each once), then the spans, their
 * events and links. Every table is keyed, so a span sent twice (same trace and span id) is stored once.
 */
export async function insertSpans(db: CollectorDb, records: SpanRecord[]): Promise<void> {
  if (records.length === 0) return
  const resourceRows = new Map<string, typeof resources.$inferInsert>()
  const operationRows = new Map<string, typeof operations.$inferInsert>()
  const spanRows: (typeof spans.$inferInsert)[] = []
  const eventRows: (typeof spanEvents.$inferInsert)[] = []
  const linkRows: (typeof spanLinks.$inferInsert)[] = []
  for (const span of records) {
    const resourceId = resourceKey(span.resource)
    resourceRows.set(resourceId, {
      id: resourceId,
      serviceName: span.resource.serviceName,
      attributes: span.resource.attributes,
    })
    const serviceName = span.resource.serviceName
    operationRows.set(`${serviceName}\n${span.name}\n${span.kind}`, { serviceName, name: span.name, kind: span.kind })
    const { traceId, spanId, startTime } = span
    spanRows.push({ ...span, serviceName, resourceId, scopeName: span.scope.name, scopeVersion: span.scope.version })
    span.events.forEach((event, position) => {
      eventRows.push({ traceId, spanId, position, spanStartTime: startTime, ...event })
    })
    span.links.forEach((link, position) => {
      linkRows.push({
        traceId,
        spanId,
        position,
        spanStartTime: startTime,
        linkedTraceId: link.traceId,
        linkedSpanId: link.spanId,
        traceState: link.traceState,
        attributes: link.attributes,
      })
    })
  }
  await db.$client.batch(
    [
      ...insertOrIgnore(resources, [...resourceRows.values()]),
      ...insertOrIgnore(operations, [...operationRows.values()]),
      ...insertOrIgnore(spans, spanRows),
      ...insertOrIgnore(spanEvents, eventRows),
      ...insertOrIgnore(spanLinks, linkRows),
    ],
    'write',
  )
}

/**
 * Multi-row `insert … on conflict do nothing` statements for the table's drizzle columns. Built here rather than
 * with drizzle's query builder, which takes about 20 ms to build a 500-span insert: most of the ingest time.
 */
function insertOrIgnore<T extends SQLiteTable>(table: T, rows: T['$inferInsert'][]): InStatement[] {
  const columns = Object.entries(getTableColumns(table))
  const names = columns.map(([, column]) => `"${column.name}"`).join(', ')
  const placeholders = `(${columns.map(() => '?').join(', ')})`
  return chunks(rows, columns.length).map((chunk) => ({
    sql: `insert into "${getTableName(table)}" (${names}) values ${chunk.map(() => placeholders).join(', ')} on conflict do nothing`,
    args: chunk.flatMap((row) =>
      columns.map(([key, column]) => column.mapToDriverValue((row as Record<string, unknown>)[key] ?? null) as InValue),
    ),
  }))
}

function chunks<T>(rows: T[], columns: number): T[][] {
  const size = Math.floor(MAX_VARIABLES / columns)
  const result: T[][] = []
  for (let start = 0; start < rows.length; start += size) result.push(rows.slice(start, start + size))
  return result
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
