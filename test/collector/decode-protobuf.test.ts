import { describe, expect, test } from 'bun:test'
import { create, fromBinary, fromJson, type JsonValue, toBinary, toJson } from '@bufbuild/protobuf'
import { decodeOtlpJson } from '../../collector/otlp/decode-json.ts'
import { decodeOtlpProtobuf } from '../../collector/otlp/decode-protobuf.ts'
import { MalformedPayload } from '../../collector/otlp/json.ts'
import { ExportTraceServiceRequest } from '../../collector/otlp/proto-schema.ts'

/** What the collector did before reading the wire itself: a message, its proto3 JSON form, then the JSON decoder. */
function throughJson(body: Uint8Array) {
  let json: unknown
  try {
    json = toJson(ExportTraceServiceRequest, fromBinary(ExportTraceServiceRequest, body))
  } catch (error) {
    throw new MalformedPayload(`invalid protobuf: ${(error as Error).message}`)
  }
  return decodeOtlpJson(json)
}

/** A small deterministic generator: the same requests on every run. */
function generator(seed: number) {
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!
  const bytes = (length: number) =>
    Buffer.from(Array.from({ length }, () => (next() < 0.2 ? 0 : Math.floor(next() * 256)))).toString('base64')
  const id = (length: number) =>
    next() < 0.05 ? bytes(pick([0, length - 1, length + 1])) : next() < 0.03 ? bytes(0) : bytes(length)
  const text = () =>
    pick(['', 'a', 'héllo', '日本', 'x'.repeat(40), 'quote"back\\slash', 'service.name', 'ü'.repeat(30)])
  const key = () => text() || 'k'
  const nanos = () =>
    pick(['0', '1700000000123456789', '18446744073709551615', '9007199254740991999', '9007199254740992000'])
  const anyValue = (depth: number): unknown => {
    switch (pick(['string', 'bool', 'int', 'double', 'bytes', 'empty', ...(depth < 3 ? ['array', 'kvlist'] : [])])) {
      case 'string':
        return { stringValue: text() }
      case 'bool':
        return { boolValue: next() < 0.5 }
      case 'int':
        return { intValue: pick(['0', '-1', '9007199254740993', '-9223372036854775808', '9223372036854775807']) }
      case 'double':
        return { doubleValue: pick([0.25, -0, 1e300, 'NaN', 'Infinity', '-Infinity', 3, 1e-7]) }
      case 'bytes':
        return { bytesValue: bytes(pick([0, 3, 17])) }
      case 'array':
        return { arrayValue: { values: Array.from({ length: pick([0, 1, 3]) }, () => anyValue(depth + 1)) } }
      case 'kvlist':
        return { kvlistValue: { values: Array.from({ length: pick([0, 1, 3]) }, () => keyValue(depth + 1)) } }
      default:
        return {}
    }
  }
  const keyValue = (depth: number) => (next() < 0.1 ? { key: key() } : { key: key(), value: anyValue(depth) })
  const attributes = () => Array.from({ length: pick([0, 1, 4]) }, () => keyValue(0))
  const span = () => ({
    traceId: id(16),
    spanId: id(8),
    ...(next() < 0.5 ? { parentSpanId: id(8) } : {}),
    traceState: pick(['', 'a=b']),
    flags: pick([0, 1, 257, 4294967295]),
    name: text(),
    kind: pick([0, 1, 2, 5, 6, -1]),
    startTimeUnixNano: nanos(),
    endTimeUnixNano: nanos(),
    attributes: attributes(),
    droppedAttributesCount: pick([0, 7]),
    events: Array.from({ length: pick([0, 2]) }, () => ({
      timeUnixNano: nanos(),
      name: text(),
      attributes: attributes(),
    })),
    droppedEventsCount: pick([0, 3]),
    links: Array.from({ length: pick([0, 2]) }, () => ({
      traceId: id(16),
      spanId: id(8),
      traceState: text(),
      attributes: attributes(),
    })),
    ...(next() < 0.7 ? { status: { code: pick([0, 1, 2, 3, -4]), message: text() } } : {}),
  })
  const request = () => ({
    resourceSpans: Array.from({ length: pick([0, 1, 2]) }, () => ({
      ...(next() < 0.8
        ? {
            resource: {
              attributes: [...attributes(), ...(next() < 0.7 ? [{ key: 'service.name', value: anyValue(1) }] : [])],
            },
          }
        : {}),
      scopeSpans: Array.from({ length: pick([0, 1, 2]) }, () => ({
        ...(next() < 0.8 ? { scope: { name: text(), version: text() } } : {}),
        spans: Array.from({ length: pick([0, 1, 5]) }, span),
      })),
    })),
  })
  return { request, next }
}

const encode = (json: unknown) =>
  toBinary(ExportTraceServiceRequest, fromJson(ExportTraceServiceRequest, json as JsonValue))
const plain = (value: unknown) => JSON.parse(JSON.stringify(value))
const outcome = (decode: () => unknown) => {
  try {
    return plain(decode())
  } catch (error) {
    return { threw: (error as Error).name }
  }
}

describe('the protobuf wire decoder', () => {
  test('reads what the proto3 JSON path read, field for field, on 400 varied requests', () => {
    const { request } = generator(7)
    for (let index = 0; index < 400; index++) {
      const body = encode(request())
      expect(plain(decodeOtlpProtobuf(body))).toEqual(plain(throughJson(body)))
    }
  })

  test('agrees with it on truncated bodies too: the same spans, or both a malformed payload', () => {
    const { request, next } = generator(11)
    for (let index = 0; index < 200; index++) {
      const body = encode(request())
      const cut = body.subarray(0, Math.floor(next() * body.length))
      expect(outcome(() => decodeOtlpProtobuf(cut))).toEqual(outcome(() => throughJson(cut)))
    }
  })

  test('an empty body is an empty request; garbage and invalid UTF-8 are malformed', () => {
    expect(decodeOtlpProtobuf(new Uint8Array())).toEqual({ spans: [], rejected: 0, errors: [] })
    expect(decodeOtlpProtobuf(toBinary(ExportTraceServiceRequest, create(ExportTraceServiceRequest)))).toEqual({
      spans: [],
      rejected: 0,
      errors: [],
    })
    expect(() => decodeOtlpProtobuf(new Uint8Array([0x0a, 0xff, 0xff, 0x01, 0x02]))).toThrow(MalformedPayload)
    // resourceSpans { scopeSpans { scope { name: <0xff> } } }
    const badName = new Uint8Array([0x0a, 0x07, 0x12, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0xff])
    expect(() => decodeOtlpProtobuf(badName)).toThrow('invalid protobuf')
  })

  test('a known field sent with another wire type is skipped as an unknown field', () => {
    // resourceSpans { scopeSpans { spans { name (field 5) as a varint } } }: the span is kept, without a name, and
    // rejected for its missing ids; the request itself is not malformed.
    const body = new Uint8Array([0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x28, 0x01])
    expect(decodeOtlpProtobuf(body)).toEqual({
      spans: [],
      rejected: 1,
      errors: ['invalid traceId or spanId (undefined/undefined)'],
    })
  })
})
