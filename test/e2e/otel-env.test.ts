import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { USER_AGENT } from '../../shared/telemetry/exporter.ts'
import { SPAN_KIND } from '../support/otlp-json.ts'
import { startOtlpReceiver } from '../support/otlp-receiver.ts'
import { type RunningSystem, runtimes, startSystem } from '../support/system.ts'

// These tests start real processes and wait for their traces; the 5 s default is too short.
setDefaultTimeout(60_000)

const SHOP = ['gateway', 'order', 'inventory', 'payment']
const GRPC_WARNING = 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported'

const count = (text: string, part: string) => text.split(part).length - 1

for (const runtime of runtimes) {
  describe(`OTEL_EXPORTER_OTLP_PROTOCOL=grpc and gzip compression on ${runtime}`, () => {
    const receiver = startOtlpReceiver()
    let system: RunningSystem

    beforeAll(async () => {
      // Until now an OTLP protocol this exporter cannot speak stopped every service at start.
      system = await startSystem(runtime, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      })
    })
    afterAll(async () => {
      await system?.stop()
      receiver.stop()
    })

    test('orders succeed and their whole trace reaches the receiver as gzipped protobuf', async () => {
      const response = await system.placeOrder({ userId: 'u-otel-env', items: [{ id: 'sku-cable', quantity: 2 }] })
      expect(response.status).toBe(201)
      expect((await response.json()).status).toBe('paid')
      const traceId = response.headers.get('x-trace-id')!
      expect(traceId).toMatch(/^[0-9a-f]{32}$/)

      const trace = await receiver.trace(
        traceId,
        (spans) =>
          spans.some((span) => span.name === 'POST /api/orders') &&
          spans.some((span) => span.name === 'payment.create') &&
          spans.some((span) => span.name === 'complete_order'),
      )
      expect(new Set(trace.map((span) => span.service))).toEqual(new Set(SHOP))
      // grpc fell back to http/protobuf; every export was gzipped and named the exporter.
      expect(receiver.requests.length).toBeGreaterThan(0)
      for (const request of receiver.requests) {
        expect(request).toEqual({
          contentType: 'application/x-protobuf',
          contentEncoding: 'gzip',
          userAgent: USER_AGENT,
        })
      }
      const root = trace.find((span) => span.name === 'POST /api/orders')!
      expect(root.kind).toBe(SPAN_KIND.SERVER)
      expect(root.attributes).toMatchObject({ 'http.request.method': 'POST', 'url.path': '/api/orders' })
      // From the connection on Bun and Deno, from CF-Connecting-IP on Workers.
      expect(root.attributes['client.address']).toBe('127.0.0.1')
      // Bun's server speaks HTTP/1.1 only, workerd says it in request.cf; Deno does not tell.
      expect(root.attributes['network.protocol.version']).toBe(runtime === 'deno' ? undefined : '1.1')
      // Each statement names its database: the service's file on Bun and Deno, its sqld server on Workers.
      const statements = trace.filter((span) => span.attributes['db.system.name'] === 'sqlite')
      expect(statements.length).toBeGreaterThan(0)
      for (const span of statements) {
        if (runtime === 'workers') expect(span.attributes['server.address']).toBe('127.0.0.1')
        else expect(String(span.attributes['db.namespace'])).toEndWith(`/${span.service}.db`)
      }
    })

    test('each service said once, in one line, what it does instead of gRPC', () => {
      const output = system.output.join('')
      // On Workers a service starts on its first request, so its warning comes then rather than at start.
      for (const service of SHOP) {
        const warnings = count(output, `[telemetry] ${service}: ${GRPC_WARNING}`)
        if (runtime === 'workers') expect(warnings).toBeGreaterThanOrEqual(1)
        else expect(warnings).toBe(1)
      }
      const line = output.split('\n').find((text) => text.includes(GRPC_WARNING))!
      expect(line).toContain('using http/protobuf')
    })

    test('the health checks the runner polled made no spans', () => {
      expect(receiver.spans.filter((span) => span.attributes['url.path'] === '/healthz')).toEqual([])
    })
  })
}

describe('OTEL_TRACES_EXPORTER=none on bun', () => {
  const receiver = startOtlpReceiver()
  let system: RunningSystem | undefined

  beforeAll(async () => {
    system = await startSystem('bun', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_EXPORTER: 'none',
    })
  })
  afterAll(async () => {
    await system?.stop()
    receiver.stop()
  })

  test('orders succeed with a trace id that still correlates, and not one export leaves, even at shutdown', async () => {
    const shop = system!
    const response = await shop.placeOrder({ userId: 'u-otel-none', items: [{ id: 'sku-cable', quantity: 1 }] })
    expect(response.status).toBe(201)
    expect(response.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/)
    const stats = (await (await fetch(`http://127.0.0.1:${shop.ports.order}/healthz`)).json()).telemetry
    expect(stats).toEqual({ queued: 0, exported: 0, failed: 0, dropped: 0 })
    // Stopping flushes whatever a service still holds: with an exporter, the spans would leave now.
    system = undefined
    await shop.stop()
    expect(receiver.requests).toEqual([])
    expect(receiver.spans).toEqual([])
  })
})
