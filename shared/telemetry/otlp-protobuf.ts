import { type Attributes, type AttributeValue, diag, type HrTime, type Link } from '@opentelemetry/api'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base'
import type { SpanBatch } from './processor.ts'

/**
 * OTLP/protobuf `ExportTraceServiceRequest` straight from `ReadableSpan`s, byte for byte what
 * `ProtobufTraceSerializer` of `@opentelemetry/otlp-transformer` writes (test/unit/otlp-protobuf.test.ts checks
 * it), at a fraction of its cost: the official writer measures every message in a first pass and copies every
 * string a character at a time in both; on the shop's spans (SQL text, URLs) that is 20–25 µs a span. Here it is one
 * pass, spans into their batch's buffer soon after they end (`EncodedSpanBatch`), strings longer than a few
 * characters go through the native `TextEncoder.encodeInto`, attribute keys and each resource and scope are encoded
 * once and copied after, and a message's length is written in the bytes reserved for it, its content moved only when
 * the guess was wrong.
 */
export function encodeTraceRequest(spans: readonly ReadableSpan[]): Uint8Array {
  const batch = new EncodedSpanBatch()
  for (const span of spans) batch.add(span)
  return batch.request()
}

type Scope = ReadableSpan['instrumentationScope']

/**
 * Spans encoded soon after they are added (a `SpanBatch` of the processor: see processor.ts), grouped by resource and
 * scope in the order they first came, as the official serializer groups them; `request()` wraps them in an
 * `ExportTraceServiceRequest`. A service's spans share one resource and scope, so nearly always there is one group.
 *
 * Spans are encoded `ENCODE_EVERY` at a time: held that briefly, a span's objects still die young, and the encoder
 * runs in a loop, as fast as at an export (encoded one by one as they ended, in between the requests' own work, the
 * same spans cost the Bun services twice the encoder's CPU).
 */
export class EncodedSpanBatch implements SpanBatch {
  size = 0
  lost = 0
  /** The bytes of the spans encoded so far: the next batch's buffer is made that size (`expectedBytes`). */
  spanBytes = 0
  private readonly resources = new Map<Resource, Map<Scope, Writer>>()
  private last: { resource?: Resource; scope?: Scope; writer?: Writer } = {}
  private pending: ReadableSpan[] = []
  private body: Uint8Array | undefined

  /** `expectedBytes`: what the spans of a batch came to before, so that its buffer is made once, not doubled. */
  constructor(private readonly expectedBytes = INITIAL_BATCH_BYTES) {}

  add(span: ReadableSpan): void {
    this.pending.push(span)
    this.size++
    if (this.pending.length >= ENCODE_EVERY) this.encodePending()
  }

  /**
   * The whole request: its spans' bytes copied once, behind the resource and scope they belong to. Made once; the
   * buffers the spans were encoded into are let go then, so an export in flight holds only its body.
   */
  request(): Uint8Array {
    if (this.body) return this.body
    this.encodePending()
    const w = new Writer(this.spanBytes + 1024)
    for (const [resource, scopes] of this.resources) {
      // A group whose only spans were lost (see `encodePending`) is left out, as if they had never come.
      if (![...scopes.values()].some((spans) => spans.pos > 0)) continue
      w.tag(1, 2)
      const resourceSpans = w.begin(3)
      w.copy(resourceBytes(resource))
      for (const [scope, spans] of scopes) {
        if (spans.pos === 0) continue
        w.tag(2, 2)
        const scopeStart = w.begin(3)
        w.copy(scopeBytes(scope))
        w.copy(spans.buffer.subarray(0, spans.pos))
        if (scope.schemaUrl) w.stringField(3, scope.schemaUrl)
        w.end(scopeStart)
      }
      if (resource.schemaUrl) w.stringField(3, resource.schemaUrl)
      w.end(resourceSpans)
    }
    this.resources.clear()
    this.last = {}
    this.body = w.buffer.subarray(0, w.pos)
    return this.body
  }

  /**
   * Encodes the spans held. One that cannot be encoded (a link without a trace id, say) is left out and counted as
   * lost, its bytes taken back: it never reaches the request that ended the span, nor the spans after it.
   */
  private encodePending(): void {
    const spans = this.pending
    this.pending = []
    for (const span of spans) {
      const writer = this.writerFor(span)
      const at = writer.pos
      try {
        writer.tag(2, 2)
        writeSpan(writer, span)
        this.spanBytes += writer.pos - at
      } catch (error) {
        writer.pos = at
        this.lost++
        diag.warn('[telemetry] a span could not be encoded and is left out of its export', error)
      }
    }
  }

  /** The writer of a span's resource and scope; the batch's first one is made the size a batch came to before. */
  private writerFor(span: ReadableSpan): Writer {
    const { resource, instrumentationScope: scope } = span
    if (this.last.writer && resource === this.last.resource && scope === this.last.scope) return this.last.writer
    let scopes = this.resources.get(resource)
    if (!scopes) {
      scopes = new Map()
      this.resources.set(resource, scopes)
    }
    let writer = scopes.get(scope)
    if (!writer) {
      writer = new Writer(this.last.writer ? INITIAL_BATCH_BYTES : Math.max(INITIAL_BATCH_BYTES, this.expectedBytes))
      scopes.set(scope, writer)
    }
    this.last = { resource, scope, writer }
    return writer
  }
}

/** Spans a batch holds before it encodes them. */
const ENCODE_EVERY = 64
/** A batch's first buffer: about fifty spans; it doubles as it fills. */
const INITIAL_BATCH_BYTES = 16 * 1024
const SPAN_FLAGS_HAS_IS_REMOTE = 0x100
const SPAN_FLAGS_IS_REMOTE = 0x200
const TWO_POW_32 = 0x1_0000_0000

/** Span (opentelemetry/proto/trace/v1/trace.proto), fields in the order the official serializer writes them. */
function writeSpan(w: Writer, span: ReadableSpan): void {
  const start = w.begin(2)
  const context = span.spanContext()
  const parent = span.parentSpanContext
  w.traceIdField(context.traceId)
  w.hexField(2, context.spanId)
  const traceState = context.traceState?.serialize()
  if (traceState) w.stringField(3, traceState)
  if (parent?.spanId) w.hexField(4, parent.spanId)
  w.stringField(5, span.name)
  // The API's SpanKind starts at INTERNAL = 0; the proto's at UNSPECIFIED = 0.
  const kind = span.kind == null ? 0 : span.kind + 1
  if (kind !== 0) w.varintField(6, kind)
  w.tag(7, 1)
  w.hrTime(span.startTime)
  w.tag(8, 1)
  w.hrTime(span.endTime)
  if (span.attributes) spanAttributes(w, span.attributes)
  w.varintField(10, span.droppedAttributesCount)
  for (const event of span.events) writeEvent(w, event)
  w.varintField(12, span.droppedEventsCount)
  for (const link of span.links) writeLink(w, link)
  w.varintField(14, span.droppedLinksCount)
  w.tag(15, 2)
  const status = w.begin(1)
  if (span.status.message) w.stringField(2, span.status.message)
  w.varintField(3, span.status.code)
  w.end(status)
  w.tag(16, 5)
  w.fixed32(spanFlags(context.traceFlags, parent?.isRemote))
  w.end(start)
}

function writeEvent(w: Writer, event: TimedEvent): void {
  w.tag(11, 2)
  const start = w.begin(1)
  w.tag(1, 1)
  w.hrTime(event.time)
  w.stringField(2, event.name)
  if (event.attributes) w.attributes(3, event.attributes)
  w.varintField(4, event.droppedAttributesCount || 0)
  w.end(start)
}

function writeLink(w: Writer, link: Link): void {
  w.tag(13, 2)
  const start = w.begin(1)
  const context = link.context
  w.hexField(1, context.traceId)
  w.hexField(2, context.spanId)
  const traceState = context.traceState?.serialize()
  if (traceState) w.stringField(3, traceState)
  if (link.attributes) w.attributes(4, link.attributes)
  w.varintField(5, link.droppedAttributesCount || 0)
  w.tag(6, 5)
  w.fixed32(spanFlags(context.traceFlags, context.isRemote))
  w.end(start)
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | SPAN_FLAGS_HAS_IS_REMOTE | (isRemote ? SPAN_FLAGS_IS_REMOTE : 0)
}

/**
 * Span attributes (field 9). Frozen ones are shared by many spans (a database statement's, see tracer.ts) and cannot
 * change: encoded the first time, copied after. Not when a value is an array, which freezing leaves changeable.
 */
const frozenAttributes = new WeakMap<Attributes, Uint8Array | null>()
function spanAttributes(w: Writer, attributes: Attributes): void {
  let bytes = typeof attributes === 'object' && Object.isFrozen(attributes) ? frozenAttributes.get(attributes) : null
  if (bytes === undefined) {
    const own = new Writer(256)
    own.attributes(9, attributes)
    bytes = Object.values(attributes).some((value) => typeof value === 'object') ? null : own.buffer.slice(0, own.pos)
    frozenAttributes.set(attributes, bytes)
  }
  if (bytes) w.copy(bytes)
  else w.attributes(9, attributes)
}

/** `resource` (ResourceSpans field 1) encoded once per Resource object, unless its attributes may still change. */
const resourceCache = new WeakMap<Resource, Uint8Array>()
function resourceBytes(resource: Resource): Uint8Array {
  const cached = resourceCache.get(resource)
  if (cached) return cached
  const w = new Writer(256)
  w.tag(1, 2)
  const start = w.begin(2)
  if (resource.attributes) w.attributes(1, resource.attributes)
  w.varintField(2, 0)
  w.end(start)
  const bytes = w.buffer.slice(0, w.pos)
  if (!resource.asyncAttributesPending) resourceCache.set(resource, bytes)
  return bytes
}

/** `scope` (ScopeSpans field 1) encoded once per scope object (one per tracer). */
const scopeCache = new WeakMap<Scope, Uint8Array>()
function scopeBytes(scope: Scope): Uint8Array {
  const cached = scopeCache.get(scope)
  if (cached) return cached
  const w = new Writer(128)
  w.tag(1, 2)
  const start = w.begin(1)
  w.stringField(1, scope.name)
  if (scope.version) w.stringField(2, scope.version)
  const extra = scope as { attributes?: Attributes; droppedAttributesCount?: number }
  if (extra.attributes) w.attributes(3, extra.attributes)
  if (extra.droppedAttributesCount) w.varintField(4, extra.droppedAttributesCount)
  w.end(start)
  const bytes = w.buffer.slice(0, w.pos)
  scopeCache.set(scope, bytes)
  return bytes
}

/** `KeyValue.key` (tag, length, UTF-8) of the attribute keys seen, which are few and repeat in every span. */
const keyCache = new Map<string, Uint8Array>()
const KEY_CACHE_LIMIT = 1024
/** Below this many UTF-16 units a string is copied in JS; above, the native encoder is faster. */
const SHORT_STRING = 24
/** Up to this many bytes, `Writer.copy` copies in JS; above, the native `set` is faster. */
const SHORT_COPY = 64
const textEncoder = new TextEncoder()

/** A protobuf writer into one growing buffer; lengths are written in place once a message is done. */
class Writer {
  buffer: Uint8Array
  pos = 0
  private lastTraceId = ''
  private lastTraceIdBytes = new Uint8Array(0)

  constructor(size: number) {
    this.buffer = new Uint8Array(size)
  }

  /** Room for `bytes` more: the check alone, small enough for the JIT to inline into every write. */
  ensure(bytes: number): void {
    if (this.pos + bytes > this.buffer.length) this.grow(bytes)
  }

  private grow(bytes: number): void {
    let size = this.buffer.length * 2
    while (size < this.pos + bytes) size *= 2
    const grown = new Uint8Array(size)
    grown.set(this.buffer.subarray(0, this.pos))
    this.buffer = grown
  }

  tag(field: number, wireType: number): void {
    this.uint32((field << 3) | wireType)
  }

  /** A varint of a value known to be a uint32. */
  uint32(value: number): void {
    this.ensure(5)
    const buffer = this.buffer
    let pos = this.pos
    while (value > 0x7f) {
      buffer[pos++] = (value & 0x7f) | 0x80
      value >>>= 7
    }
    buffer[pos++] = value
    this.pos = pos
  }

  /** Any number as protobuf's (u)int64 varint: negative ones in two's complement, as the official writer does. */
  varint(value: number): void {
    if (value >= 0 && value <= 0xffffffff) {
      this.uint32(value >>> 0)
      return
    }
    let low: number
    let high: number
    if (value >= 0) {
      low = value >>> 0
      high = (value / TWO_POW_32) >>> 0
    } else {
      const abs = Math.abs(value)
      low = ~(abs >>> 0) >>> 0
      high = ~((abs / TWO_POW_32) >>> 0) >>> 0
      low = (low + 1) >>> 0
      if (low === 0) high = (high + 1) >>> 0
    }
    this.ensure(10)
    while (high > 0 || low > 0x7f) {
      this.buffer[this.pos++] = (low & 0x7f) | 0x80
      low = ((low >>> 7) | (high << 25)) >>> 0
      high >>>= 7
    }
    this.buffer[this.pos++] = low & 0x7f
  }

  varintField(field: number, value: number): void {
    this.tag(field, 0)
    this.varint(value)
  }

  fixed32(value: number): void {
    this.ensure(4)
    const buffer = this.buffer
    const pos = this.pos
    buffer[pos] = value & 0xff
    buffer[pos + 1] = (value >>> 8) & 0xff
    buffer[pos + 2] = (value >>> 16) & 0xff
    buffer[pos + 3] = (value >>> 24) & 0xff
    this.pos = pos + 4
  }

  fixed64(low: number, high: number): void {
    this.fixed32(low >>> 0)
    this.fixed32(high >>> 0)
  }

  /** Nanoseconds since the epoch of an HrTime, as fixed64, exactly (the value is beyond 2^53). */
  hrTime(time: HrTime): void {
    const seconds = time[0]
    const nanos = time[1]
    const fromLow = (seconds & 0xffff) * 1e9
    const fromHigh = ((seconds / 0x10000) >>> 0) * 1e9
    const low = (fromLow >>> 0) + (((fromHigh & 0xffff) * 0x10000) >>> 0) + nanos
    const high = Math.floor(fromLow / TWO_POW_32) + ((fromHigh / 0x10000) >>> 0) + Math.floor(low / TWO_POW_32)
    this.fixed64(low >>> 0, high >>> 0)
  }

  double(value: number): void {
    this.ensure(8)
    new DataView(this.buffer.buffer, this.buffer.byteOffset).setFloat64(this.pos, value, true)
    this.pos += 8
  }

  /** Reserves `reserved` bytes for the length of the message that starts here; `end` writes it. */
  begin(reserved: number): number {
    this.ensure(reserved)
    this.pos += reserved
    return this.pos * 4 + reserved
  }

  end(marker: number): void {
    const reserved = marker & 3
    const contentStart = marker >>> 2
    this.fitLength(contentStart - reserved, reserved, this.pos - contentStart)
  }

  /** Writes `length` as a varint at `at`, where `reserved` bytes were kept for it, moving what follows if needed. */
  private fitLength(at: number, reserved: number, length: number): void {
    const size = varintSize(length)
    if (size !== reserved) {
      this.ensure(size - reserved)
      this.buffer.copyWithin(at + size, at + reserved, this.pos)
      this.pos += size - reserved
    }
    const buffer = this.buffer
    while (length > 0x7f) {
      buffer[at++] = (length & 0x7f) | 0x80
      length >>>= 7
    }
    buffer[at] = length
  }

  copy(bytes: Uint8Array): void {
    const length = bytes.length
    this.ensure(length)
    const buffer = this.buffer
    const pos = this.pos
    // An attribute key or a trace id is a few dozen bytes: a loop copies them sooner than a call to native `set`.
    if (length <= SHORT_COPY) for (let i = 0; i < length; i++) buffer[pos + i] = bytes[i]!
    else buffer.set(bytes, pos)
    this.pos = pos + length
  }

  /** A length-delimited UTF-8 string (lone surrogates become U+FFFD, as with TextEncoder). */
  string(value: string): void {
    const length = value.length
    if (length < SHORT_STRING && this.ascii(value)) return
    // At most 3 bytes per UTF-16 unit; the length is reserved for the ASCII case and moved if it came out longer.
    const reserved = varintSize(length)
    this.ensure(reserved + length * 3)
    const at = this.pos
    const { written } = textEncoder.encodeInto(value, this.buffer.subarray(at + reserved))
    this.pos = at + reserved + written
    this.fitLength(at, reserved, written)
  }

  /** Copies a short string that is all ASCII; false, having written nothing, if it is not. */
  private ascii(value: string): boolean {
    const length = value.length
    this.ensure(length + 1)
    const buffer = this.buffer
    const start = this.pos + 1
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i)
      if (code > 0x7f) return false
      buffer[start + i] = code
    }
    buffer[this.pos] = length
    this.pos = start + length
    return true
  }

  stringField(field: number, value: string): void {
    this.tag(field, 2)
    this.string(value)
  }

  /** A trace or span id (hex) as bytes, decoded as the official `hexToBinary` does. */
  hexField(field: number, hex: string): void {
    this.tag(field, 2)
    const bytes = Math.floor(hex.length / 2)
    this.uint32(bytes)
    this.ensure(bytes)
    const buffer = this.buffer
    let pos = this.pos
    for (let i = 0; i < 2 * bytes; i += 2) {
      const high = hex.charCodeAt(i)
      const low = hex.charCodeAt(i + 1)
      buffer[pos++] = ((high < 128 ? HEX[high]! : hexValue(high)) << 4) | (low < 128 ? HEX[low]! : hexValue(low))
    }
    this.pos = pos
  }

  /** A span's trace id (field 1): the spans of a batch come a trace at a time, so the last one is kept as bytes. */
  traceIdField(hex: string): void {
    if (hex !== this.lastTraceId) {
      const start = this.pos
      this.hexField(1, hex)
      this.lastTraceId = hex
      this.lastTraceIdBytes = this.buffer.slice(start, this.pos)
    } else this.copy(this.lastTraceIdBytes)
  }

  /** `repeated KeyValue` under `field`, in the attributes' own order. */
  attributes(field: number, attributes: Attributes): void {
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue
      this.tag(field, 2)
      const start = this.begin(1)
      this.copy(keyBytes(key))
      this.tag(2, 2)
      const value = this.begin(1)
      this.anyValue(attributes[key])
      this.end(value)
      this.end(start)
    }
  }

  anyValue(value: AttributeValue | undefined | null | Uint8Array | object): void {
    if (typeof value === 'string') {
      this.tag(1, 2)
      this.string(value)
    } else if (typeof value === 'boolean') {
      this.tag(2, 0)
      this.uint32(value ? 1 : 0)
    } else if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
        this.tag(3, 0)
        this.varint(value)
      } else {
        this.tag(4, 1)
        this.double(value)
      }
    } else if (value instanceof Uint8Array) {
      this.tag(7, 2)
      this.uint32(value.length)
      this.copy(value)
    } else if (Array.isArray(value)) {
      this.tag(5, 2)
      const array = this.begin(1)
      for (const item of value) {
        this.tag(1, 2)
        const start = this.begin(1)
        this.anyValue(item)
        this.end(start)
      }
      this.end(array)
    } else if (typeof value === 'object' && value !== null) {
      this.tag(6, 2)
      const list = this.begin(1)
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue
        this.tag(1, 2)
        const start = this.begin(1)
        this.stringField(1, key)
        this.tag(2, 2)
        const inner = this.begin(1)
        this.anyValue((value as Record<string, unknown>)[key] as AttributeValue)
        this.end(inner)
        this.end(start)
      }
      this.end(list)
    }
  }
}

function keyBytes(key: string): Uint8Array {
  let bytes = keyCache.get(key)
  if (bytes) return bytes
  const w = new Writer(key.length * 3 + 8)
  w.stringField(1, key)
  bytes = w.buffer.slice(0, w.pos)
  if (keyCache.size < KEY_CACHE_LIMIT) keyCache.set(key, bytes)
  return bytes
}

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5
}

/** `hexValue` of the ASCII characters, looked up rather than computed: ids are most of a span's fixed bytes. */
const HEX = Int16Array.from({ length: 128 }, (_, code) => hexValue(code))

/** The official `hexToBinary`'s digit value, invalid characters included, so both write the same bytes. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 97 && code <= 102) return code - 87
  return code - 55
}
