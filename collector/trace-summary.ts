import { STATUS_ERROR } from './model.ts'
import type { SpanOutline } from './query.ts'
import { nanos } from './traces-data.ts'

/** jaeger-idl api_v3 `TraceSummary` in proto3 JSON: camelCase, the fixed64 times as decimal strings. */
export interface TraceSummary {
  traceId: string
  rootServiceName: string
  rootOperationName: string
  minStartTimeUnixNano: string
  maxEndTimeUnixNano: string
  spanCount: number
  errorSpanCount: number
  orphanSpanCount: number
  services: { name: string; spanCount: number; errorSpanCount: number }[]
}

/**
 * A search result row, computed as Jaeger's query service does: the root is the earliest span without a parent,
 * an orphan a span whose parent is not in the trace, an error span one with status ERROR; services sorted by name.
 */
export function summarizeTrace(spans: SpanOutline[]): TraceSummary {
  const spanIds = new Set(spans.map((span) => span.spanId))
  const services = new Map<string, { name: string; spanCount: number; errorSpanCount: number }>()
  let root: SpanOutline | undefined
  let orphanSpanCount = 0
  let minStart = Number.POSITIVE_INFINITY
  let maxEnd = 0
  for (const span of spans) {
    minStart = Math.min(minStart, span.startTime)
    maxEnd = Math.max(maxEnd, span.startTime + span.duration)
    const service = services.get(span.serviceName) ?? { name: span.serviceName, spanCount: 0, errorSpanCount: 0 }
    services.set(span.serviceName, service)
    service.spanCount++
    if (span.statusCode === STATUS_ERROR) service.errorSpanCount++
    if (!span.parentSpanId) {
      if (!root || span.startTime < root.startTime) root = span
    } else if (!spanIds.has(span.parentSpanId)) orphanSpanCount++
  }
  const byName = [...services.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return {
    traceId: spans[0]?.traceId ?? '',
    rootServiceName: root?.serviceName ?? '',
    rootOperationName: root?.name ?? '',
    minStartTimeUnixNano: nanos(spans.length ? minStart : 0),
    maxEndTimeUnixNano: nanos(maxEnd),
    spanCount: spans.length,
    errorSpanCount: byName.reduce((sum, service) => sum + service.errorSpanCount, 0),
    orphanSpanCount,
    services: byName,
  }
}
