import { and, asc, count, eq, gte, lte, ne } from 'drizzle-orm'
import { alias } from 'drizzle-orm/sqlite-core'
import { spans } from './schema.ts'
import type { CollectorDb } from './store.ts'

/** One edge of the service graph, as Jaeger's `/api/dependencies` returns it. */
export interface DependencyLink {
  parent: string
  child: string
  /** Spans of `child` whose parent span belongs to `parent`. */
  callCount: number
}

/** Microseconds since the epoch, both ends included. */
export interface TimeWindow {
  start: number
  end: number
}

const parentSpan = alias(spans, 'parent')

/**
 * The service graph of the spans that started in the window: one link per parent → child service pair, counting
 * the child spans whose parent span is stored and belongs to another service (calls within a service are not
 * edges). Sorted by parent, then child. The window walks `spans_start`; each parent is a primary-key lookup.
 */
export function findDependencies(db: CollectorDb, { start, end }: TimeWindow): Promise<DependencyLink[]> {
  return db
    .select({ parent: parentSpan.serviceName, child: spans.serviceName, callCount: count() })
    .from(spans)
    .innerJoin(parentSpan, and(eq(parentSpan.traceId, spans.traceId), eq(parentSpan.spanId, spans.parentSpanId)))
    .where(and(gte(spans.startTime, start), lte(spans.startTime, end), ne(parentSpan.serviceName, spans.serviceName)))
    .groupBy(parentSpan.serviceName, spans.serviceName)
    .orderBy(asc(parentSpan.serviceName), asc(spans.serviceName))
}
