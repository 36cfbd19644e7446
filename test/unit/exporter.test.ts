import { afterEach, describe, expect, test } from 'bun:test'
import { SpanKind } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import { BasicTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { OtlpFetchExporter, parseRetryAfter } from '../../shared/telemetry/exporter.ts'
import { flattenExportRequest } from '../support/otlp-json.ts'

/**
 * A real OTLP/HTTP endpoint on loopback that answers with the statuses it is given, in turn. A `hang` answer never
 * comes: the request is held until the test ends, so only the exporter's own timeout gets it going again.
 */
function receiver(answers: { status: number; headers?: Record<string, string>; hang?: boolean }[]) {
  const requests: { contentType: string | null; spanNames: string[] }[] = []
  const server = Bun.serve({
    port: 0,
    async fetch(request) {
      const body = await request.arrayBuffer()
      const spanNames =
        request.headers.get('content-type') === 'application/json'
          ? flattenExportRequest(JSON.parse(new TextDecoder().decode(body))).map((span) => span.name)
          : []
      requests.push({ contentType: request.headers.get('content-type'), spanNames })
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
 * Backoff settings whose sleep only records how long the exporter asked to wait: retries cost no time, and a test
 * can check the waits themselves.
 */
function recordedBackoff() {
  const waits: number[] = []
  const options = {
    initialBackoffMillis: 10,
    maxBackoffMillis: 2000,
    sleep: async (millis: number) => {
      waits.push(millis)
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
    expect(target.requests).toEqual([{ contentType: 'application/json', spanNames: ['span-0', 'span-1'] }])
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

  test('abandons an attempt that outlives its timeout and retries', async () => {
    const target = receiver([{ status: 200, hang: true }, { status: 200 }])
    const exporter = new OtlpFetchExporter({
      url: target.url,
      protocol: 'http/json',
      timeoutMillis: 50,
      ...fast,
    })
    expect((await exporter.send(spans(1))).code).toBe(ExportResultCode.SUCCESS)
    expect(target.requests).toHaveLength(2)
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
