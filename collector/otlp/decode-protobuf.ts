import { Buffer } from 'node:buffer'
import type { DecodedBatch, SpanEvent, SpanLink, SpanRecord, SpanResource, Tag } from '../model.ts'
import { MAX_VALUE_DEPTH, MalformedPayload } from './json.ts'

/**
 * Reads a protobuf `ExportTraceServiceRequest` straight from the wire into span records, by the rules of the JSON
 * decoder (`decodeOtlpJson`): a span with an invalid id or time is dropped and counted, attributes become the same
 * tags, unknown fields are skipped, and so is a known field with another wire type (as protobuf's C++ parser does).
 * Field numbers are those of `proto-schema.ts` (opentelemetry-proto v1). Several times cheaper than decoding a
 * message and mapping it through the proto3 JSON form, which was most of the collector's protobuf ingest time. A
 * malformed message (truncated, a length past its end, invalid UTF-8) is a `MalformedPayload`.
 */
export function decodeOtlpProtobuf(body: Uint8Array): DecodedBatch {
  const batch: DecodedBatch = { spans: [], rejected: 0, errors: [] }
  const reader = new Reader(body)
  try {
    while (reader.pos < reader.end) {
      const tag = reader.varint32()
      if (tag === key(1, LEN)) readResourceSpans(reader, tag, batch)
      else reader.skip(tag)
    }
  } catch (error) {
    if (error instanceof WireError) throw new MalformedPayload(`invalid protobuf: ${error.message}`)
    throw error
  }
  return batch
}

class WireError extends Error {}

const VARINT = 0
const I64 = 1
const LEN = 2
const GROUP_START = 3
const GROUP_END = 4
const I32 = 5
/** A field's tag as it is on the wire; switching on it leaves a field of another wire type to `skip`. */
const key = (field: number, wireType: number) => (field << 3) | wireType

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** A cursor over the body: `end` is where the (sub)message being read stops. */
class Reader {
  pos = 0
  end: number
  private readonly view: DataView
  /** The same bytes as a Buffer: its hex and latin1 decoding make a flat string in one native call. */
  private readonly buffer: Buffer

  constructor(readonly bytes: Uint8Array) {
    this.end = bytes.length
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  varint32(): number {
    const bytes = this.bytes
    let result = 0
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new WireError('premature end of a varint')
      const byte = bytes[this.pos++]!
      // Bits past 32 are dropped, as protobuf does for 32-bit fields.
      if (shift < 32) result |= (byte & 0x7f) << shift
      if (byte < 0x80) return result >>> 0
    }
    throw new WireError('a varint longer than 10 bytes')
  }

  /** A varint as a number when it is a safe integer, else the exact signed decimal digits of its int64. */
  int64(): number | string {
    const bytes = this.bytes
    let lo = 0
    let hi = 0
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new WireError('premature end of a varint')
      const byte = bytes[this.pos++]!
      if (shift < 28) lo |= (byte & 0x7f) << shift
      else if (shift === 28) {
        lo |= (byte & 0x0f) << 28
        hi |= (byte & 0x7f) >> 4
      } else hi |= (byte & 0x7f) << (shift - 32)
      if (byte < 0x80) {
        lo >>>= 0
        hi >>>= 0
        if (hi < 0x200000) return hi * 0x1_0000_0000 + lo
        const value = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo))
        return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
      }
    }
    throw new WireError('a varint longer than 10 bytes')
  }

  fixed32(): number {
    this.need(4)
    const value = this.view.getUint32(this.pos, true)
    this.pos += 4
    return value
  }

  /** A fixed64 count of nanoseconds as whole microseconds; undefined past 2^53 - 1 µs, as `nanosToMicros`. */
  nanosAsMicros(): number | undefined {
    this.need(8)
    const lo = this.view.getUint32(this.pos, true)
    const hi = this.view.getUint32(this.pos + 4, true)
    this.pos += 8
    // hi·2^32 = hi·4294967·1000 + hi·296, so this quotient is exact while it is a safe integer.
    const micros = hi * 4_294_967 + Math.floor((hi * 296 + lo) / 1000)
    return Number.isSafeInteger(micros) ? micros : undefined
  }

  double(): number {
    this.need(8)
    const value = this.view.getFloat64(this.pos, true)
    this.pos += 8
    return value
  }

  /** The end of the length-delimited field whose tag was just read; `pos` is at its first byte. */
  delimited(tag: number): number {
    if ((tag & 7) !== LEN) throw new WireError(`field ${tag >>> 3} has wire type ${tag & 7}, not 2`)
    const length = this.varint32()
    const end = this.pos + length
    if (end > this.end) throw new WireError('a length past the end of its message')
    return end
  }

  string(tag: number): string {
    const end = this.delimited(tag)
    const bytes = this.bytes
    const start = this.pos
    this.pos = end
    // ASCII (keys, names, most values) without a TextDecoder call.
    let index = start
    while (index < end && bytes[index]! < 0x80) index++
    if (index === end) return this.buffer.toString('latin1', start, end)
    try {
      return utf8.decode(bytes.subarray(start, end))
    } catch {
      throw new WireError('a string that is not UTF-8')
    }
  }

  /** Skips a bytes field and says where it started; it ends at `pos`. */
  bytesStart(tag: number): number {
    const end = this.delimited(tag)
    const start = this.pos
    this.pos = end
    return start
  }

  /** Narrows `end` to the sub-message whose tag was just read; `leave` with the result comes back out. */
  enter(tag: number): number {
    const end = this.delimited(tag)
    const outer = this.end
    this.end = end
    return outer
  }

  leave(outer: number): void {
    this.pos = this.end
    this.end = outer
  }

  skip(tag: number, depth = 0): void {
    switch (tag & 7) {
      case VARINT:
        this.int64()
        return
      case I64:
        this.need(8)
        this.pos += 8
        return
      case LEN:
        this.pos = this.delimited(tag)
        return
      case GROUP_START:
        if (depth > MAX_VALUE_DEPTH) throw new WireError('groups nested too deep')
        for (;;) {
          const inner = this.varint32()
          if ((inner & 7) === GROUP_END) {
            if (inner >>> 3 !== tag >>> 3) throw new WireError('a group closed by another field')
            return
          }
          this.skip(inner, depth + 1)
        }
      case I32:
        this.need(4)
        this.pos += 4
        return
      default:
        throw new WireError(`wire type ${tag & 7} of field ${tag >>> 3}`)
    }
  }

  /** A valid id as lower-case hex (`length` bytes, not all zero, as `parseId`), from where `bytesStart` said. */
  id(start: number, end: number, length: number): string | undefined {
    if (start < 0 || end - start !== length) return undefined
    const bytes = this.bytes
    let index = start
    while (index < end && bytes[index] === 0) index++
    return index === end ? undefined : this.buffer.toString('hex', start, end)
  }

  /** The bytes as the proto3 JSON mapping shows them (base64), or `undefined` when the field was absent. */
  base64(start: number, end: number): string {
    if (start < 0) return 'undefined'
    let binary = ''
    for (let index = start; index < end; index++) binary += String.fromCharCode(this.bytes[index]!)
    return btoa(binary)
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.end) throw new WireError('premature end of a fixed-size field')
  }
}

function readResourceSpans(reader: Reader, tag: number, batch: DecodedBatch): void {
  const outer = reader.enter(tag)
  const resourceTags: Tag[] = []
  // ScopeSpans may come before the resource on the wire: their spans get the resource once it is known.
  const spans: SpanRecord[] = []
  while (reader.pos < reader.end) {
    const tag = reader.varint32()
    if (tag === key(1, LEN)) readResource(reader, tag, resourceTags)
    else if (tag === key(2, LEN)) readScopeSpans(reader, tag, spans, batch)
    else reader.skip(tag)
  }
  reader.leave(outer)
  const resource = toResource(resourceTags)
  for (const span of spans) {
    span.resource = resource
    batch.spans.push(span)
  }
}

function readResource(reader: Reader, tag: number, tags: Tag[]): void {
  const outer = reader.enter(tag)
  while (reader.pos < reader.end) {
    const tag = reader.varint32()
    if (tag === key(1, LEN)) readKeyValue(reader, tag, tags)
    else reader.skip(tag)
  }
  reader.leave(outer)
}

/** As the JSON decoder: `service.name` (when not empty) names the service and is left out of the attributes. */
function toResource(attributes: Tag[]): SpanResource {
  const name = attributes.find((tag) => tag.key === 'service.name')
  return {
    serviceName: name && name.value !== '' ? String(name.value) : 'unknown_service',
    attributes: name ? attributes.filter((tag) => tag.key !== 'service.name') : attributes,
  }
}

const NO_RESOURCE: SpanResource = { serviceName: 'unknown_service', attributes: [] }

function readScopeSpans(reader: Reader, tag: number, spans: SpanRecord[], batch: DecodedBatch): void {
  const outer = reader.enter(tag)
  const scope = { name: '', version: '' }
  while (reader.pos < reader.end) {
    const tag = reader.varint32()
    if (tag === key(1, LEN)) {
      const scopeOuter = reader.enter(tag)
      while (reader.pos < reader.end) {
        const inner = reader.varint32()
        if (inner === key(1, LEN)) scope.name = reader.string(inner)
        else if (inner === key(2, LEN)) scope.version = reader.string(inner)
        else reader.skip(inner)
      }
      reader.leave(scopeOuter)
    } else if (tag === key(2, LEN)) {
      const span = readSpan(reader, tag, scope)
      if (typeof span !== 'string') spans.push(span)
      else {
        batch.rejected++
        if (batch.errors.length < 5) batch.errors.push(span)
      }
    } else reader.skip(tag)
  }
  reader.leave(outer)
}

/** The span, or why it was dropped (the JSON decoder's words, ids as the proto3 JSON mapping shows them). */
function readSpan(reader: Reader, tag: number, scope: SpanRecord['scope']): SpanRecord | string {
  const outer = reader.enter(tag)
  let traceStart = -1
  let traceEnd = -1
  let spanStart = -1
  let spanEnd = -1
  let parentStart = -1
  let parentEnd = -1
  let traceState = ''
  let flags = 0
  let name = ''
  let kind = 0
  let startTime: number | undefined = 0
  let endTime: number | undefined = 0
  const attributes: Tag[] = []
  const events: SpanEvent[] = []
  const links: SpanLink[] = []
  let statusCode = 0
  let statusMessage = ''
  let droppedAttributesCount = 0
  let droppedEventsCount = 0
  let droppedLinksCount = 0
  while (reader.pos < reader.end) {
    const tag = reader.varint32()
    switch (tag) {
      case key(1, LEN):
        traceStart = reader.bytesStart(tag)
        traceEnd = reader.pos
        break
      case key(2, LEN):
        spanStart = reader.bytesStart(tag)
        spanEnd = reader.pos
        break
      case key(3, LEN):
        traceState = reader.string(tag)
        break
      case key(4, LEN):
        parentStart = reader.bytesStart(tag)
        parentEnd = reader.pos
        break
      case key(5, LEN):
        name = reader.string(tag)
        break
      case key(6, VARINT):
        kind = enumValue(reader.int64(), 5)
        break
      case key(7, I64):
        startTime = reader.nanosAsMicros()
        break
      case key(8, I64):
        endTime = reader.nanosAsMicros()
        break
      case key(9, LEN):
        readKeyValue(reader, tag, attributes)
        break
      case key(10, VARINT):
        droppedAttributesCount = reader.varint32()
        break
      case key(11, LEN):
        events.push(readEvent(reader, tag))
        break
      case key(12, VARINT):
        droppedEventsCount = reader.varint32()
        break
      case key(13, LEN): {
        const link = readLink(reader, tag)
        if (link) links.push(link)
        break
      }
      case key(14, VARINT):
        droppedLinksCount = reader.varint32()
        break
      case key(15, LEN): {
        const statusOuter = reader.enter(tag)
        while (reader.pos < reader.end) {
          const inner = reader.varint32()
          if (inner === key(2, LEN)) statusMessage = reader.string(inner)
          else if (inner === key(3, VARINT)) statusCode = enumValue(reader.int64(), 2)
          else reader.skip(inner)
        }
        reader.leave(statusOuter)
        break
      }
      case key(16, I32):
        flags = reader.fixed32()
        break
      default:
        reader.skip(tag)
    }
  }
  reader.leave(outer)
  const traceId = reader.id(traceStart, traceEnd, 16)
  const spanId = reader.id(spanStart, spanEnd, 8)
  if (!traceId || !spanId)
    return `invalid traceId or spanId (${reader.base64(traceStart, traceEnd)}/${reader.base64(spanStart, spanEnd)})`
  if (startTime === undefined || endTime === undefined) return `span ${spanId}: invalid start or end time`
  return {
    traceId,
    spanId,
    parentSpanId: reader.id(parentStart, parentEnd, 8) ?? null,
    traceState,
    flags,
    name,
    kind,
    startTime,
    duration: Math.max(0, endTime - startTime),
    attributes,
    events,
    links,
    statusCode,
    statusMessage,
    droppedAttributesCount,
    droppedEventsCount,
    droppedLinksCount,
    resource: NO_RESOURCE,
    scope,
  }
}

/** OTLP enums are open: a value past the known ones reads as 0, as in the JSON decoder. */
const enumValue = (value: number | string, max: number): number =>
  typeof value === 'number' && value >= 0 && value <= max ? value : 0

function readEvent(reader: Reader, tag: number): SpanEvent {
  const outer = reader.enter(tag)
  const event: SpanEvent = { time: 0, name: '', attributes: [] }
  while (reader.pos < reader.end) {
    const tag = reader.varint32()
    if (tag === key(1, I64)) event.time = reader.nanosAsMicros() ?? 0
    else if (tag === key(2, LEN)) event.name = reader.string(tag)
    else if (tag === key(3, LEN)) readKeyValue(reader, tag, event.attributes)
    else reader.skip(tag)
  }
  reader.leave(outer)
  return event
}

/** A link, or undefined when either id is invalid (dropped, as the JSON decoder does). */
function readLink(reader: Reader, tag: number): SpanLink | undefined {
  const outer = reader.enter(tag)
  let traceStart = -1
  let traceEnd = -1
  let spanStart = -1
  let spanEnd = -1
  let traceState = ''
  const attributes: Tag[] = []
  while (reader.pos < reader.end) {
    const tag = reader.varint32()
    if (tag === key(1, LEN)) {
      traceStart = reader.bytesStart(tag)
      traceEnd = reader.pos
    } else if (tag === key(2, LEN)) {
      spanStart = reader.bytesStart(tag)
      spanEnd = reader.pos
    } else if (tag === key(3, LEN)) traceState = reader.string(tag)
    else if (tag === key(4, LEN)) readKeyValue(reader, tag, attributes)
    else reader.skip(tag)
  }
  reader.leave(outer)
  const traceId = reader.id(traceStart, traceEnd, 16)
  const spanId = reader.id(spanStart, spanEnd, 8)
  return traceId && spanId ? { traceId, spanId, traceState, attributes } : undefined
}

/** An `AnyValue`: `EMPTY` when none of its fields is set (the JSON decoder then shows `null`). */
type Value =
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: number | string }
  | { kind: 'double'; value: number }
  | { kind: 'bytes'; value: string }
  | { kind: 'array'; value: unknown[] }
  | { kind: 'kvlist'; value: Record<string, unknown> }
  | { kind: 'empty' }

const EMPTY: Value = { kind: 'empty' }

function readKeyValue(reader: Reader, tag: number, into: Tag[]): void {
  const outer = reader.enter(tag)
  let name = ''
  let value: Value | undefined
  while (reader.pos < reader.end) {
    const inner = reader.varint32()
    if (inner === key(1, LEN)) name = reader.string(inner)
    else if (inner === key(2, LEN)) value = readAnyValue(reader, inner, 0)
    else reader.skip(inner)
  }
  reader.leave(outer)
  into.push(toTag(name, value))
}

function readAnyValue(reader: Reader, tag: number, depth: number): Value {
  if (depth > MAX_VALUE_DEPTH) throw new WireError('values nested too deep')
  const outer = reader.enter(tag)
  let value: Value = EMPTY
  while (reader.pos < reader.end) {
    const tag = reader.varint32()
    switch (tag) {
      case key(1, LEN):
        value = { kind: 'string', value: reader.string(tag) }
        break
      case key(2, VARINT):
        value = { kind: 'bool', value: reader.int64() !== 0 }
        break
      case key(3, VARINT):
        value = { kind: 'int', value: reader.int64() }
        break
      case key(4, I64):
        value = { kind: 'double', value: reader.double() }
        break
      case key(5, LEN):
        value = { kind: 'array', value: readArray(reader, tag, depth) }
        break
      case key(6, LEN):
        value = { kind: 'kvlist', value: readKeyValueList(reader, tag, depth) }
        break
      case key(7, LEN): {
        const start = reader.bytesStart(tag)
        value = { kind: 'bytes', value: reader.base64(start, reader.pos) }
        break
      }
      default:
        reader.skip(tag)
    }
  }
  reader.leave(outer)
  return value
}

function readArray(reader: Reader, tag: number, depth: number): unknown[] {
  const outer = reader.enter(tag)
  const values: unknown[] = []
  while (reader.pos < reader.end) {
    const inner = reader.varint32()
    if (inner === key(1, LEN)) values.push(plain(readAnyValue(reader, inner, depth + 1)))
    else reader.skip(inner)
  }
  reader.leave(outer)
  return values
}

function readKeyValueList(reader: Reader, tag: number, depth: number): Record<string, unknown> {
  const outer = reader.enter(tag)
  const entries: [string, unknown][] = []
  while (reader.pos < reader.end) {
    const inner = reader.varint32()
    if (inner !== key(1, LEN)) {
      reader.skip(inner)
      continue
    }
    const entryOuter = reader.enter(inner)
    let name = ''
    let value: unknown = null
    while (reader.pos < reader.end) {
      const field = reader.varint32()
      if (field === key(1, LEN)) name = reader.string(field)
      else if (field === key(2, LEN)) value = plain(readAnyValue(reader, field, depth + 1))
      else reader.skip(field)
    }
    reader.leave(entryOuter)
    entries.push([name, value])
  }
  reader.leave(outer)
  return Object.fromEntries(entries)
}

/** What `toTag` in `any-value.ts` makes of the same value in OTLP JSON; an absent value is an empty string. */
function toTag(key: string, value: Value | undefined): Tag {
  if (value === undefined) return { key, type: 'string', value: '' }
  switch (value.kind) {
    case 'string':
      return { key, type: 'string', value: value.value }
    case 'bool':
      return { key, type: 'bool', value: value.value }
    case 'int':
      return { key, type: 'int64', value: value.value }
    case 'double':
      return Number.isFinite(value.value)
        ? { key, type: 'float64', value: value.value }
        : { key, type: 'string', value: String(value.value) }
    case 'bytes':
      return { key, type: 'binary', value: value.value }
    default:
      return { key, type: 'string', value: JSON.stringify(plain(value)) }
  }
}

/** A value inside an array or kvlist, as `plainValue` in `any-value.ts` shows it: non-finite doubles by name. */
function plain(value: Value): unknown {
  switch (value.kind) {
    case 'empty':
      return null
    case 'double':
      return Number.isFinite(value.value) ? value.value : String(value.value)
    default:
      return value.value
  }
}
