import type { SpanEvent, SpanLink, SpanRecord, Tag } from './model.ts'
import { resourceKey } from './store.ts'

/**
 * Stored spans back as OTLP `ResourceSpans` (of a `TracesData`, what api_v3 answers under `result`) in the OTLP/JSON
 * encoding: ids as hex, 64-bit integers (times, `intValue`) as decimal strings, enums (`kind`, `status.code`) as
 * integers, and fields at their default value left out, as proto3 JSON does.
 */
export interface ResourceSpans {
  resource: { attributes: KeyValue[] }
  scopeSpans: { scope: OtlpScope; spans: OtlpSpan[] }[]
}

export interface OtlpScope {
  name?: string
  version?: string
}

export interface KeyValue {
  key: string
  value: AnyValue
}

export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { bytesValue: string }

export interface OtlpSpan {
  traceId: string
  spanId: string
  traceState?: string
  parentSpanId?: string
  flags?: number
  name?: string
  kind?: number
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes?: KeyValue[]
  droppedAttributesCount?: number
  events?: OtlpEvent[]
  droppedEventsCount?: number
  links?: OtlpLink[]
  droppedLinksCount?: number
  status: { message?: string; code?: number }
}

export interface OtlpEvent {
  timeUnixNano: string
  name?: string
  attributes?: KeyValue[]
}

export interface OtlpLink {
  traceId: string
  spanId: string
  traceState?: string
  attributes?: KeyValue[]
}

/**
 * `{"result": TracesData}`, api_v3's answer, written a slice at a time for `jsonStream`: each slice (`traceSlices`)
 * its spans grouped by resource, then scope. A resource may come again in a later slice, as it may in OTLP (Jaeger's
 * own api_v3 streams its traces in chunks, each grouped apart).
 */
export async function* tracesDataJson(slices: AsyncIterable<SpanRecord[]>) {
  yield '{"result":{"resourceSpans":['
  let separator = ''
  for await (const slice of slices) {
    yield separator + JSON.stringify(byResource(slice)).slice(1, -1)
    separator = ','
  }
  yield ']}}'
}

function byResource(trace: SpanRecord[]): ResourceSpans[] {
  const resources = new Map<string, { resource: ResourceSpans['resource']; scopes: Map<string, SpanRecord[]> }>()
  for (const record of trace) {
    const key = resourceKey(record.resource)
    let entry = resources.get(key)
    if (!entry) {
      // The store keeps `service.name` apart from the other resource attributes; OTLP has it among them.
      const serviceName: Tag = { key: 'service.name', type: 'string', value: record.resource.serviceName }
      entry = { resource: { attributes: keyValues([serviceName, ...record.resource.attributes]) }, scopes: new Map() }
      resources.set(key, entry)
    }
    const scopeKey = `${record.scope.name}\n${record.scope.version}`
    const records = entry.scopes.get(scopeKey)
    if (records) records.push(record)
    else entry.scopes.set(scopeKey, [record])
  }
  return [...resources.values()].map(({ resource, scopes }) => ({
    resource,
    scopeSpans: [...scopes.values()].map((records) => ({
      scope: omitDefaults<OtlpScope>({ name: records[0]!.scope.name, version: records[0]!.scope.version }),
      spans: records.map(toOtlpSpan),
    })),
  }))
}

function toOtlpSpan(record: SpanRecord): OtlpSpan {
  return omitDefaults<OtlpSpan>({
    traceId: record.traceId,
    spanId: record.spanId,
    traceState: record.traceState,
    parentSpanId: record.parentSpanId ?? '',
    flags: record.flags,
    name: record.name,
    kind: record.kind,
    startTimeUnixNano: nanos(record.startTime),
    endTimeUnixNano: nanos(record.startTime + record.duration),
    attributes: keyValues(record.attributes),
    droppedAttributesCount: record.droppedAttributesCount,
    events: record.events.map(toEvent),
    droppedEventsCount: record.droppedEventsCount,
    links: record.links.map(toLink),
    droppedLinksCount: record.droppedLinksCount,
    status: omitDefaults({ message: record.statusMessage, code: record.statusCode }),
  })
}

const toEvent = (event: SpanEvent) =>
  omitDefaults<OtlpEvent>({
    timeUnixNano: nanos(event.time),
    name: event.name,
    attributes: keyValues(event.attributes),
  })

const toLink = (link: SpanLink) =>
  omitDefaults<OtlpLink>({
    traceId: link.traceId,
    spanId: link.spanId,
    traceState: link.traceState,
    attributes: keyValues(link.attributes),
  })

/** Microseconds as the decimal string of nanoseconds. */
export const nanos = (micros: number) => (BigInt(micros) * 1000n).toString()

const keyValues = (tags: Tag[]): KeyValue[] => tags.map((tag) => ({ key: tag.key, value: anyValue(tag) }))

/** Arrays and key-value lists were stored as JSON text (Jaeger tags have no such types) and come back as strings. */
function anyValue(tag: Tag): AnyValue {
  switch (tag.type) {
    case 'bool':
      return { boolValue: tag.value === true }
    case 'int64':
      return { intValue: String(tag.value) }
    case 'float64':
      return { doubleValue: Number(tag.value) }
    case 'binary':
      return { bytesValue: String(tag.value) }
    default:
      return { stringValue: String(tag.value) }
  }
}

/** Drops empty strings, zeros and empty arrays: proto3 JSON leaves fields at their default value out. */
function omitDefaults<T extends object>(object: T): T {
  return Object.fromEntries(
    Object.entries(object).filter(
      ([, value]) => value !== '' && value !== 0 && !(Array.isArray(value) && value.length === 0),
    ),
  ) as T
}
