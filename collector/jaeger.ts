import type { SpanRecord, SpanResource, Tag } from './model.ts'
import { STATUS_ERROR } from './model.ts'
import { resourceKey } from './store.ts'

/** The Jaeger v1 query API's JSON (what Jaeger's UI, Grafana's Jaeger data source and Jaeger scripts read). */
export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM'
  traceID: string
  spanID: string
  /** Not in Jaeger: the attributes of an OpenTelemetry link, so they are not lost. */
  tags?: Tag[]
}

export interface JaegerLog {
  timestamp: number
  fields: Tag[]
}

export interface JaegerSpan {
  traceID: string
  spanID: string
  operationName: string
  references: JaegerReference[]
  flags: number
  startTime: number
  duration: number
  tags: Tag[]
  logs: JaegerLog[]
  processID: string
  warnings: string[] | null
}

export interface JaegerProcess {
  serviceName: string
  tags: Tag[]
}

export interface JaegerTrace {
  traceID: string
  spans: JaegerSpan[]
  processes: Record<string, JaegerProcess>
  warnings: string[] | null
}

/** OTLP `SpanKind` by number, as Jaeger's `span.kind` tag names it (unspecified has no tag). */
export const SPAN_KINDS = ['', 'internal', 'server', 'client', 'producer', 'consumer']
const STATUS_NAMES = ['', 'OK', 'ERROR']

/** One trace in Jaeger's shape, mapped as the OpenTelemetry Collector's Jaeger translator does. */
export function toJaegerTrace(records: SpanRecord[]): JaegerTrace {
  const processes = new JaegerProcesses()
  const spans = records.map((record) => toJaegerSpan(record, processes))
  return { traceID: records[0]?.traceId ?? '', spans, processes: processes.byId, warnings: null }
}

/** A trace's processes, as its spans name them: `p1`, `p2`… in the order their resources first appear. */
export class JaegerProcesses {
  readonly byId: Record<string, JaegerProcess> = {}
  private readonly ids = new Map<string, string>()

  idOf(resource: SpanResource): string {
    const key = resourceKey(resource)
    let processID = this.ids.get(key)
    if (!processID) {
      processID = `p${this.ids.size + 1}`
      this.ids.set(key, processID)
      this.byId[processID] = { serviceName: resource.serviceName, tags: resource.attributes }
    }
    return processID
  }
}

/** One span in Jaeger's shape, its process among the trace's `processes`. */
export function toJaegerSpan(record: SpanRecord, processes: JaegerProcesses): JaegerSpan {
  return {
    traceID: record.traceId,
    spanID: record.spanId,
    operationName: record.name,
    references: references(record),
    flags: jaegerFlags(record.flags),
    startTime: record.startTime,
    duration: record.duration,
    tags: [...record.attributes, ...derivedTags(record)],
    logs: record.events.map((event) => ({
      timestamp: event.time,
      fields: [{ key: 'event', type: 'string', value: event.name }, ...event.attributes],
    })),
    processID: processes.idOf(record.resource),
    warnings: null,
  }
}

/**
 * Jaeger's flags mean 1 sampled, 2 debug; OTLP's are W3C trace flags (bit 0 sampled) plus bits 8 and 9 saying
 * whether the parent was remote (257, 769). Only sampled maps over: W3C has no debug flag.
 */
export const jaegerFlags = (otlpFlags: number) => otlpFlags & 1

function references(record: SpanRecord): JaegerReference[] {
  const parent: JaegerReference[] = record.parentSpanId
    ? [{ refType: 'CHILD_OF', traceID: record.traceId, spanID: record.parentSpanId }]
    : []
  const links = record.links.map(
    (link): JaegerReference => ({
      refType: 'FOLLOWS_FROM',
      traceID: link.traceId,
      spanID: link.spanId,
      tags: link.attributes,
    }),
  )
  return [...parent, ...links]
}

/** Span fields Jaeger has no place for, as the tags its translator uses. */
function derivedTags(record: SpanRecord): Tag[] {
  const tags: Tag[] = []
  const has = (key: string) => record.attributes.some((tag) => tag.key === key)
  if (SPAN_KINDS[record.kind]) tags.push({ key: 'span.kind', type: 'string', value: SPAN_KINDS[record.kind]! })
  if (STATUS_NAMES[record.statusCode])
    tags.push({ key: 'otel.status_code', type: 'string', value: STATUS_NAMES[record.statusCode]! })
  if (record.statusMessage) tags.push({ key: 'otel.status_description', type: 'string', value: record.statusMessage })
  if (record.statusCode === STATUS_ERROR && !has('error')) tags.push({ key: 'error', type: 'bool', value: true })
  if (record.scope.name) tags.push({ key: 'otel.scope.name', type: 'string', value: record.scope.name })
  if (record.scope.version) tags.push({ key: 'otel.scope.version', type: 'string', value: record.scope.version })
  if (record.traceState) tags.push({ key: 'w3c.tracestate', type: 'string', value: record.traceState })
  return tags
}
