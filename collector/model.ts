/** A value as the Jaeger v1 API carries it; OTLP arrays and kvlists become JSON strings, bytes base64. */
export interface Tag {
  key: string
  type: 'string' | 'bool' | 'int64' | 'float64' | 'binary'
  value: string | number | boolean
}

export interface SpanEvent {
  /** Microseconds since the epoch. */
  time: number
  name: string
  attributes: Tag[]
}

export interface SpanLink {
  traceId: string
  spanId: string
  traceState: string
  attributes: Tag[]
}

export interface SpanResource {
  serviceName: string
  /** Every resource attribute but `service.name`. */
  attributes: Tag[]
}

/** One span as decoded from OTLP (JSON or protobuf), ids as lower-case hex, times in microseconds. */
export interface SpanRecord {
  traceId: string
  spanId: string
  parentSpanId: string | null
  traceState: string
  flags: number
  name: string
  /** OTLP `SpanKind`: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number
  startTime: number
  duration: number
  attributes: Tag[]
  events: SpanEvent[]
  links: SpanLink[]
  /** OTLP `StatusCode`: 0 unset, 1 ok, 2 error. */
  statusCode: number
  statusMessage: string
  droppedAttributesCount: number
  droppedEventsCount: number
  droppedLinksCount: number
  resource: SpanResource
  scope: { name: string; version: string }
}

/** What a decoder hands the store: the spans it could read and why it dropped the others. */
export interface DecodedBatch {
  spans: SpanRecord[]
  rejected: number
  errors: string[]
}

export const STATUS_ERROR = 2
