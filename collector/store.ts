import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import type { BatchItem } from 'drizzle-orm/batch'
import type { SpanRecord, SpanResource } from './model.ts'
import { operations, resources, spanEvents, spanLinks, spans } from './schema.ts'
import type * as schema from './schema.ts'

export type CollectorDb = LibSQLDatabase<typeof schema>

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
    resourceRows.set(resourceId, { id: resourceId, serviceName: span.resource.serviceName, attributes: span.resource.attributes })
    const serviceName = span.resource.serviceName
    operationRows.set(`${serviceName}\n${span.name}\n${span.kind}`, { serviceName, name: span.name, kind: span.kind })
    const { traceId, spanId, startTime } = span
    spanRows.push({ ...span, serviceName, resourceId, scopeName: span.scope.name, scopeVersion: span.scope.version })
    span.events.forEach((event, position) => eventRows.push({ traceId, spanId, position, spanStartTime: startTime, ...event }))
    span.links.forEach((link, position) =>
      linkRows.push({
        traceId,
        spanId,
        position,
        spanStartTime: startTime,
        linkedTraceId: link.traceId,
        linkedSpanId: link.spanId,
        traceState: link.traceState,
        attributes: link.attributes,
      }),
    )
  }
  const statements: BatchItem<'sqlite'>[] = [
    ...chunks([...resourceRows.values()], 3).map((rows) => db.insert(resources).values(rows).onConflictDoNothing()),
    ...chunks([...operationRows.values()], 3).map((rows) => db.insert(operations).values(rows).onConflictDoNothing()),
    ...chunks(spanRows, 19).map((rows) => db.insert(spans).values(rows).onConflictDoNothing()),
    ...chunks(eventRows, 7).map((rows) => db.insert(spanEvents).values(rows).onConflictDoNothing()),
    ...chunks(linkRows, 8).map((rows) => db.insert(spanLinks).values(rows).onConflictDoNothing()),
  ]
  // Never empty: there is at least one resource.
  await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]])
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
