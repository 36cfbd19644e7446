import type { DecodedBatch, SpanEvent, SpanLink, SpanRecord, SpanResource } from '../model.ts'
import { toTags } from './any-value.ts'
import { nanosToMicros, parseId } from './ids.ts'
import { isObject, asArray as list, MalformedPayload } from './json.ts'

const text = (value: unknown): string => (typeof value === 'string' ? value : '')
const count = (value: unknown): number => {
  if (value === undefined) return 0
  const number = Number(value)
  return Number.isSafeInteger(number) ? number : 0
}

/**
 * Reads an `ExportTraceServiceRequest` in the OTLP JSON form (also the shape protobuf decoding produces). Unknown
 * fields are ignored; a span with an invalid id or time is dropped and counted, the rest of the request is kept.
 */
export function decodeOtlpJson(request: unknown): DecodedBatch {
  if (!isObject(request)) throw new MalformedPayload('the body is not an ExportTraceServiceRequest object')
  if (request.resourceSpans !== undefined && !Array.isArray(request.resourceSpans)) {
    throw new MalformedPayload('resourceSpans must be an array')
  }
  const batch: DecodedBatch = { spans: [], rejected: 0, errors: [] }
  for (const resourceSpans of list(request.resourceSpans)) {
    if (!isObject(resourceSpans)) throw new MalformedPayload('resourceSpans entries must be objects')
    const resource = toResource(resourceSpans.resource)
    // `instrumentationLibrarySpans` is what SDKs before OTLP 0.15 sent.
    for (const scopeSpans of list(resourceSpans.scopeSpans ?? resourceSpans.instrumentationLibrarySpans)) {
      if (!isObject(scopeSpans)) throw new MalformedPayload('scopeSpans entries must be objects')
      const scopeObject = isObject(scopeSpans.scope)
        ? scopeSpans.scope
        : isObject(scopeSpans.instrumentationLibrary)
          ? scopeSpans.instrumentationLibrary
          : {}
      const scope = { name: text(scopeObject.name), version: text(scopeObject.version) }
      for (const span of list(scopeSpans.spans)) {
        const record = toSpanRecord(span, resource, scope)
        if (typeof record === 'string') {
          batch.rejected++
          if (batch.errors.length < 5) batch.errors.push(record)
        } else {
          batch.spans.push(record)
        }
      }
    }
  }
  return batch
}

function toResource(resource: unknown): SpanResource {
  const attributes = isObject(resource) ? toTags(resource.attributes) : []
  const name = attributes.find((tag) => tag.key === 'service.name')
  return {
    serviceName: name && name.value !== '' ? String(name.value) : 'unknown_service',
    attributes: attributes.filter((tag) => tag.key !== 'service.name'),
  }
}

/** The span, or why it was dropped. */
function toSpanRecord(span: unknown, resource: SpanResource, scope: SpanRecord['scope']): SpanRecord | string {
  if (!isObject(span)) return 'a span is not an object'
  const traceId = parseId(span.traceId, 16)
  const spanId = parseId(span.spanId, 8)
  if (!traceId || !spanId) return `invalid traceId or spanId (${String(span.traceId)}/${String(span.spanId)})`
  const startTime = nanosToMicros(span.startTimeUnixNano)
  const endTime = nanosToMicros(span.endTimeUnixNano)
  if (startTime === undefined || endTime === undefined) return `span ${spanId}: invalid start or end time`
  const status = isObject(span.status) ? span.status : {}
  return {
    traceId,
    spanId,
    parentSpanId: parseId(span.parentSpanId, 8) ?? null,
    traceState: text(span.traceState),
    flags: count(span.flags),
    name: text(span.name),
    kind: enumValue(span.kind, SPAN_KINDS),
    startTime,
    duration: Math.max(0, endTime - startTime),
    attributes: toTags(span.attributes),
    events: toEvents(span.events),
    links: toLinks(span.links),
    statusCode: enumValue(status.code, STATUS_CODES),
    statusMessage: text(status.message),
    droppedAttributesCount: count(span.droppedAttributesCount),
    droppedEventsCount: count(span.droppedEventsCount),
    droppedLinksCount: count(span.droppedLinksCount),
    resource,
    scope,
  }
}

// Events and links in loops: `filter`, `map` and `flatMap` on the (mostly empty) lists of every span cost more.
function toEvents(events: unknown): SpanEvent[] {
  const decoded: SpanEvent[] = []
  for (const event of list(events)) {
    if (!isObject(event)) continue
    decoded.push({
      time: nanosToMicros(event.timeUnixNano) ?? 0,
      name: text(event.name),
      attributes: toTags(event.attributes),
    })
  }
  return decoded
}

function toLinks(links: unknown): SpanLink[] {
  const decoded: SpanLink[] = []
  for (const link of list(links)) {
    if (!isObject(link)) continue
    const traceId = parseId(link.traceId, 16)
    const spanId = parseId(link.spanId, 8)
    if (traceId && spanId)
      decoded.push({ traceId, spanId, traceState: text(link.traceState), attributes: toTags(link.attributes) })
  }
  return decoded
}

const SPAN_KINDS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
]
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR']

/** Enums are integers in OTLP JSON; the proto3 JSON mapping's names are accepted too. */
function enumValue(value: unknown, names: string[]): number {
  if (typeof value === 'string' && names.includes(value)) return names.indexOf(value)
  const number = Number(value ?? 0)
  return Number.isInteger(number) && number >= 0 && number < names.length ? number : 0
}
