import { describe, expect, test } from 'bun:test'
import { type Attributes, context, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api'
import { TraceState } from '@opentelemetry/core'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { encodeTraceRequest } from '../../shared/telemetry/otlp-protobuf.ts'

/** A provider whose finished spans the test reads back. */
function recorder(resourceAttributes: Attributes = { 'service.name': 'order' }) {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resourceAttributes),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  return { provider, spans: () => exporter.getFinishedSpans() as ReadableSpan[] }
}

/** Our bytes must be the official serializer's, byte for byte. */
function expectSameBytes(spans: ReadableSpan[]) {
  const official = ProtobufTraceSerializer.serializeRequest(spans)!
  const ours = encodeTraceRequest(spans)
  expect(ours.length).toBe(official.length)
  expect(Buffer.from(ours).equals(Buffer.from(official))).toBe(true)
}

const LONG_ASCII = 'select "id", "user_id", "status" from "orders" where "id" = ? '.repeat(40)
const VALUES: Attributes = {
  empty: '',
  short: 'GET',
  boundary23: 'a'.repeat(23),
  boundary24: 'b'.repeat(24),
  accented: 'café crème',
  emoji: 'order 📦 shipped',
  loneSurrogate: 'broken \ud800 text',
  longAscii: LONG_ASCII,
  longUnicode: 'ü'.repeat(9000),
  yes: true,
  no: false,
  zero: 0,
  port: 8081,
  negative: -42,
  large: 2 ** 40 + 7,
  beyondSafe: 2 ** 60,
  negativeLarge: -(2 ** 45),
  double: 3.25,
  negativeDouble: -0.5,
  strings: ['a', 'bé', ''],
  numbers: [1, 2.5, -3],
  booleans: [true, false],
  withNull: ['x', null, 'y'] as unknown as string[],
  emptyArray: [],
}

describe('OTLP protobuf encoder', () => {
  test('every kind of attribute value, each as the official serializer writes it', () => {
    const { provider, spans } = recorder()
    const tracer = provider.getTracer('test', '1.2.3')
    for (const [key, value] of Object.entries(VALUES)) {
      const span = tracer.startSpan(`value ${key}`, { attributes: { [key]: value } })
      span.end()
    }
    tracer.startSpan('all at once', { attributes: VALUES }).end()
    expectSameBytes(spans())
  })

  test('kinds, parents, remote parents, trace state, status, events, links and a non-sampled flag', () => {
    const { provider, spans } = recorder()
    const tracer = provider.getTracer('test')
    const remote = trace.setSpanContext(context.active(), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: new TraceState('vendor=abc,other=x'),
    })
    const server = tracer.startSpan('GET /orders/:id', { kind: SpanKind.SERVER }, remote)
    const inner = trace.setSpan(remote, server)
    for (const kind of [SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER]) {
      tracer.startSpan(`kind ${kind}`, { kind }, inner).end()
    }
    const failed = tracer.startSpan('failed', {}, inner)
    failed.recordException(new TypeError('connection refused'))
    failed.addEvent('retry', { attempt: 2, 'wait.ms': 1500.5 })
    failed.setStatus({ code: SpanStatusCode.ERROR, message: 'no answer ✗' })
    failed.end()
    tracer.startSpan('ok', {}, inner).setStatus({ code: SpanStatusCode.OK }).end()
    tracer
      .startSpan('linked', {
        links: [
          { context: server.spanContext() },
          {
            context: {
              traceId: '0af7651916cd43dd8448eb211c80319c',
              spanId: 'b7ad6b7169203331',
              traceFlags: TraceFlags.NONE,
              isRemote: true,
              traceState: new TraceState('a=1'),
            },
            attributes: { 'link.reason': 'outbox' },
          },
        ],
      })
      .end()
    server.end()
    expectSameBytes(spans())
  })

  test('several resources and scopes in one request, in the order the official serializer groups them', () => {
    const first = recorder({ 'service.name': 'gateway', 'process.runtime.name': 'bun' })
    const second = recorder({ 'service.name': 'payment', 'deployment.environment.name': 'tëst' })
    const spans: ReadableSpan[] = []
    for (let i = 0; i < 3; i++) {
      first.provider.getTracer('a').startSpan(`a-${i}`).end()
      second.provider
        .getTracer('b', '0.1.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' })
        .startSpan(`b-${i}`)
        .end()
      first.provider.getTracer('c').startSpan(`c-${i}`).end()
    }
    // Interleaved, as spans of several services would never be in one export, but the encoder must not care.
    const a = first.spans()
    const b = second.spans()
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      spans.push(...[a[i], b[i]].filter((span) => span !== undefined))
    expectSameBytes(spans)
    // The same resource again (encoded once, then copied): still the same bytes.
    expectSameBytes(spans)
  })

  test('a batch far beyond the initial buffer, and messages whose lengths take 1, 2 and 3 bytes', () => {
    const { provider, spans } = recorder()
    const tracer = provider.getTracer('test')
    for (let i = 0; i < 600; i++) {
      const attributes: Attributes = { 'db.query.text': LONG_ASCII.slice(0, (i * 37) % LONG_ASCII.length) }
      if (i % 50 === 0) attributes.big = 'x'.repeat(20_000 + i)
      tracer.startSpan(`span ${i}`, { attributes }).end()
    }
    expectSameBytes(spans())
  })

  test('frozen attributes shared by several spans (encoded once), and frozen ones holding an array', () => {
    const { provider, spans } = recorder()
    const tracer = provider.getTracer('test')
    for (let i = 0; i < 3; i++) tracer.startSpan(`statement ${i}`).end()
    const shared = Object.freeze({ 'db.system.name': 'sqlite', 'db.query.text': LONG_ASCII, port: 8081 })
    const withArray = Object.freeze({ list: ['a', 'b'] })
    // The SDK copies a span's attributes; ours keeps a frozen set as it is, as these spans do.
    const [first, second, third] = spans().map((span, i) =>
      Object.create(span, { attributes: { value: i === 2 ? withArray : shared } }),
    )
    expectSameBytes([first, second, third])
    expectSameBytes([first, second, third])
    withArray.list.push('c')
    expectSameBytes([third])
  })

  test('an empty batch', () => {
    expectSameBytes([])
  })

  test('each call returns its own bytes: a body still in flight is not overwritten by the next export', () => {
    const { provider, spans } = recorder()
    provider.getTracer('test').startSpan('first').end()
    const first = encodeTraceRequest(spans())
    const copy = Uint8Array.from(first)
    provider.getTracer('test').startSpan('second, a longer name').end()
    encodeTraceRequest(spans())
    expect(first).toEqual(copy)
  })
})
