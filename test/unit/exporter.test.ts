import { afterEach, describe, expect, test } from 'bun:test'
import { SpanKind } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { OtlpFetchExporter, parseRetryAfter, USER_AGENT } from '../../shared/telemetry/exporter.ts'
import { BoundedBatchSpanProcessor } from '../../shared/telemetry/processor.ts'
import { flattenExportRequest } from '../support/otlp-json.ts'

/**
 * A real OTLP/HTTP endpoint on loopback that answers with the statuses it is given, in turn. A `hang` answer never
 * comes: the request is held until the test ends, so only the exporter's own timeout gets it going again. A gzip
 * body is gunzipped as a receiver does before it is read.
 */
function receiver(answers: { status: number; headers?: Record<string, string>; hang?: boolean }[]) {
  const requests: {
    contentType: string | null
    contentEncoding: string | null
    userAgent: string | null
    spanNames: string[]
  }[] = []
  const server = Bun.serve({
    port: 0,
    async fetch(request) {
      const contentEncoding = request.headers.get('content-encoding')
      const raw = new Uint8Array(await request.arrayBuffer())
      const body = contentEncoding === 'gzip' ? Bun.gunzipSync(raw) : raw
      const spanNames =
        request.headers.get('content-type') === 'application/json'
          ? flattenExportRequest(JSON.parse(new TextDecoder().decode(body))).map((span) => span.name)
          : []
      requests.push({
        contentType: request.headers.get('content-type'),
        contentEncoding,
        userAgent: request.headers.get('user-agent'),
        spanNames,
      })
      const answer = answers[Math.min(requests.length - 1, answers.length - 1)]!
      if (answer.hang) await new Promise<void>((resolve) => held.push(resolve))
      return new Response('{}', { status: answer.status, headers: answer.headers })
    },
  })
  servers.push(server)
  return { url: `http://127.0.0.1:${server.port}/v1/traces`, requests }
}

const servers: ReturnType<typeof Bun.serve>[] = []
const held: (() => void)[] = []
afterEach(() => {
  for (const release of held.splice(0)) release()
  for (const server of servers.splice(0)) server.stop(true)
})

function spans(count: number, provider = new BasicTracerProvider()): ReadableSpan[] {
  const tracer = provider.getTracer('test')
  return Array.from({ length: count }, (_, i) => {
    const span = tracer.startSpan(`span-${i}`, { kind: SpanKind.INTERNAL })
    span.end()
    return span as unknown as ReadableSpan
  })
}

/**
 * Backoff settings whose sleep only records how long the exporter asked to wait, and moves a clock of its own on by
 * that much: retries cost no time, a test can check the waits themselves, and the export's timeout is measured on
 * the same clock.
 */
function recordedBackoff() {
  const waits: number[] = []
  let clock = 0
  const options = {
    initialBackoffMillis: 10,
    maxBackoffMillis: 2000,
    now: () => clock,
    sleep: async (millis: number) => {
      waits.push(millis)
      clock += millis
    },
  }
  return { waits, options }
}

/** For the tests that do not look at the waits. */
const fast = recordedBackoff().options

describe('OTLP fetch exporter', () => {
  test('sends JSON the receiver can read', async () => {
    const target = receiver([{ status: 200 }])
    const exporter = new OtlpFetchExporter({ url: target.url, protocol: 'http/json', ...fast })
    expect((await exporter.send(spans(2))).code).toBe(ExportResultCode.SUCCESS)
    expect(target.requests).toEqual([
      {
        contentType: 'application/json',
        contentEncoding: null,
        userAgent: USER_AGENT,
        spanNames: ['span-0', 'span-1'],
      },
    ])
  })

  test('sends protobuf with its content type', async () => {
    const target = receiver([{ status: 200 }])
    const exporter = new OtlpFetchExporter({ url: target.url, protocol: 'http/protobuf', ...fast })
    expect((await exporter.send(spans(1))).code).toBe(ExportResultCode.SUCCESS)
    expect(target.requests[0]!.contentType).toBe('application/x-protobuf')
  })

  test('retries 429, 502, 503 and 504 with a doubling, jittered backoff, then succeeds', async () => {
    const target = receiver([{ status: 429 }, { status: 502 }, { status: 503 }, { status: 504 }, { status: 200 }])
    const backoff = recordedBackoff()
    const exporter = new OtlpFetchExporter({ url: target.url, protocol: 'http/json', ...backoff.options })
    expect((await exporter.send(spans(1))).code).toBe(ExportResultCode.SUCCESS)
    expect(target.requests).toHaveLength(5)
    expect(backoff.waits).toHaveLength(4)
    backoff.waits.forEach((wait, i) => {
      expect(wait).toBeGreaterThanOrEqual(10 * 2 ** i * 0.8)
      expect(wait).toBeLessThanOrEqual(10 * 2 ** i * 1.2)
    })
  })

  /** An OTLP/protobuf exporter whose fetch keeps each body it is given. */
  function protobufExporter() {
    const bodies: Uint8Array[] = []
    const exporter = new OtlpFetchExporter({
      url: 'http://collector.invalid/v1/traces',
      protocol: 'http/protobuf',
      fetch: async (_input, init) => {
        bodies.push(init?.body as Uint8Array)
        return new Response('{}')
      },
    })
    return { exporter, bodies }
  }

  const officialBytes = (spans: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!)

  test('protobuf: spans encoded into their batch 64 at a time are sent as the official serializer writes them', async () => {
    const { exporter, bodies } = protobufExporter()
    // Two services' spans, interleaved, past two rounds of encoding.
    const order = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'order' }) })
    const payment = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'payment' }) })
    const [first, second] = [spans(75, order), spans(75, payment)]
    const sent = first.flatMap((span, i) => [span, second[i]!])
    const batch = exporter.newBatch()
    for (const span of sent) batch.add(span)
    const result = await new Promise((resolve) => exporter.exportBatch(batch, resolve))
    expect(result).toEqual({ code: ExportResultCode.SUCCESS })
    expect(bodies).toHaveLength(1)
    expect(Buffer.from(bodies[0]!).equals(officialBytes(sent))).toBe(true)
  })

  test('protobuf: a span that cannot be encoded is left out and counted as failed; the others and later ones go', async () => {
    const { exporter, bodies } = protobufExporter()
    const processor = new BoundedBatchSpanProcessor(exporter, { scheduledDelayMillis: 0 })
    const tracer = new BasicTracerProvider().getTracer('test')
    // A link whose context has no trace id: nothing the encoder can write.
    const broken = tracer.startSpan('broken', { links: [{ context: { spanId: 'b'.repeat(16) } as never }] })
    broken.end()
    const good = spans(99)
    for (const span of [...good.slice(0, 10), broken as unknown as ReadableSpan, ...good.slice(10)])
      processor.onEnd(span)
    await processor.forceFlush()
    expect(processor.stats()).toEqual({ queued: 0, exported: 99, failed: 1, dropped: 0 })
    expect(Buffer.from(bodies[0]!).equals(officialBytes(good))).toBe(true)
    const later = spans(3)
    for (const span of later) processor.onEnd(span)
    await processor.forceFlush()
    expect(processor.stats()).toEqual({ queued: 0, exported: 102, failed: 1, dropped: 0 })
    expect(Buffer.from(bodies[1]!).equals(officialBytes(later))).toBe(true)
  })

  test('does not retry a 400', async () => {
    const target = receiver([{ status: 400 }, { status: 200 }])
    const exporter = new OtlpFetchExporter({ url: target.url, protocol: 'http/json', ...fast })
    expect((await exporter.send(spans(1))).code).toBe(ExportResultCode.FAILED)
    expect(target.requests).toHaveLength(1)
  })

  test('waits as long as Retry-After says before the next attempt, up to the longest backoff', async () => {
    const target = receiver([
      { status: 503, headers: { 'retry-after': '1' } },
      { status: 503, headers: { 'retry-after': '60' } },
      { status: 200 },
    ])
    const backoff = recordedBackoff()
    const exporter = new OtlpFetchExporter({ url: target.url, protocol: 'http/json', ...backoff.options })
    expect((await exporter.send(spans(1))).code).toBe(ExportResultCode.SUCCESS)
    expect(backoff.waits).toEqual([1000, 2000])
  })

  test('gives up after the last attempt', async () => {
    const target = receiver([{ status: 503 }])
    const backoff = recordedBackoff()
    const exporter = new OtlpFetchExporter({
      url: target.url,
      protocol: 'http/json',
      maxAttempts: 3,
      ...backoff.options,
    })
    expect((await exporter.send(spans(1))).code).toBe(ExportResultCode.FAILED)
    expect(target.requests).toHaveLength(3)
    expect(backoff.waits).toHaveLength(2)
  })

  test('a hanging collector holds one export for the timeout at most, retries included', async () => {
    const target = receiver([{ status: 200, hang: true }])
    const exporter = new OtlpFetchExporter({
      url: target.url,
      protocol: 'http/json',
      timeoutMillis: 200,
      maxAttempts: 5,
      // The real clock: the per-attempt limit is what is left of the export's time, not the whole of it again.
      initialBackoffMillis: 10,
      sleep: async () => {},
    })
    const started = performance.now()
    const result = await exporter.send(spans(1))
    const elapsed = performance.now() - started
    expect(result.code).toBe(ExportResultCode.FAILED)
    expect(result.error?.message).toContain('no time left to retry within 200 ms')
    expect(elapsed).toBeGreaterThanOrEqual(150)
    expect(elapsed).toBeLessThan(1000)
    expect(target.requests).toHaveLength(1)
  })

  test('retries stop once the next wait would pass the export timeout, whatever the attempts left', async () => {
    const target = receiver([{ status: 503 }])
    const backoff = recordedBackoff()
    const exporter = new OtlpFetchExporter({
      url: target.url,
      protocol: 'http/json',
      timeoutMillis: 1000,
      maxAttempts: 100,
      ...backoff.options,
      initialBackoffMillis: 100,
      maxBackoffMillis: 10_000,
    })
    const result = await exporter.send(spans(1))
    expect(result.code).toBe(ExportResultCode.FAILED)
    // Waits of about 100, 200, 400 (±20 %) fit in the second; the fourth, about 800, would not.
    expect(backoff.waits).toHaveLength(3)
    expect(target.requests).toHaveLength(4)
    expect(backoff.waits.reduce((sum, wait) => sum + wait, 0)).toBeLessThan(1000)
  })

  test('a Retry-After past the export timeout ends the export at once instead of waiting', async () => {
    const target = receiver([{ status: 429, headers: { 'retry-after': '2' } }, { status: 200 }])
    const backoff = recordedBackoff()
    const exporter = new OtlpFetchExporter({
      url: target.url,
      protocol: 'http/json',
      timeoutMillis: 1000,
      ...backoff.options,
    })
    expect((await exporter.send(spans(1))).code).toBe(ExportResultCode.FAILED)
    expect(backoff.waits).toEqual([])
    expect(target.requests).toHaveLength(1)
  })

  for (const protocol of ['http/json', 'http/protobuf'] as const) {
    test(`compression gzip (${protocol}): a gzip body with Content-Encoding that a receiver gunzips to the spans`, async () => {
      const target = receiver([{ status: 200 }])
      const exporter = new OtlpFetchExporter({ url: target.url, protocol, compression: 'gzip', ...fast })
      expect((await exporter.send(spans(3))).code).toBe(ExportResultCode.SUCCESS)
      expect(target.requests[0]).toMatchObject({ contentEncoding: 'gzip', userAgent: USER_AGENT })
      if (protocol === 'http/json') expect(target.requests[0]!.spanNames).toEqual(['span-0', 'span-1', 'span-2'])
    })
  }

  test('gzip makes a large batch smaller on the wire', async () => {
    const sizes: number[] = []
    const send = (compression: 'gzip' | 'none') =>
      new OtlpFetchExporter({
        url: 'http://collector.test/v1/traces',
        protocol: 'http/json',
        compression,
        fetch: async (_input, init) => {
          sizes.push((init!.body as Uint8Array).byteLength)
          return new Response(null, { status: 200 })
        },
      }).send(spans(50))
    await send('none')
    await send('gzip')
    expect(sizes[1]!).toBeLessThan(sizes[0]! / 3)
  })

  test('names itself in User-Agent, its name and version; a User-Agent header from the settings replaces it', async () => {
    expect(USER_AGENT).toMatch(/^otel-edge-shop-exporter\/\d+\.\d+\.\d+$/)
    const target = receiver([{ status: 200 }])
    await new OtlpFetchExporter({ url: target.url, protocol: 'http/protobuf', ...fast }).send(spans(1))
    await new OtlpFetchExporter({
      url: target.url,
      protocol: 'http/protobuf',
      headers: { 'User-Agent': 'my-gateway/2.0', 'x-api-key': 'k' },
      ...fast,
    }).send(spans(1))
    expect(target.requests.map((request) => request.userAgent)).toEqual([USER_AGENT, 'my-gateway/2.0'])
  })

  test('a collector that is down fails the export without throwing', async () => {
    const exporter = new OtlpFetchExporter({
      url: 'http://127.0.0.1:1/v1/traces',
      protocol: 'http/json',
      maxAttempts: 2,
      ...fast,
    })
    expect((await exporter.send(spans(1))).code).toBe(ExportResultCode.FAILED)
  })

  test('Retry-After is read as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000)
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000)
    expect(parseRetryAfter('soon')).toBeUndefined()
    expect(parseRetryAfter(null)).toBeUndefined()
  })
})
