import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { startProcesses } from '../support/processes.ts'

// These tests start real processes and wait for their traces; the 5 s default is too short.
setDefaultTimeout(60_000)

/** Collectors that fail in the ways real ones do. */
function brokenCollector(kind: 'hanging' | 'unavailable') {
  const received = { requests: 0 }
  const server = Bun.serve({
    port: 0,
    idleTimeout: 0,
    async fetch() {
      received.requests++
      if (kind === 'hanging') await new Promise(() => {})
      return new Response('busy', { status: 503, headers: { 'retry-after': '0' } })
    },
  })
  return { endpoint: `http://127.0.0.1:${server.port}`, received, stop: () => server.stop(true) }
}

const telemetryStats = async (port: number) =>
  (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).telemetry

describe('telemetry never hurts the service', () => {
  const cleanups: (() => unknown)[] = []
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  for (const outage of ['down', 'hanging', 'unavailable'] as const) {
    test(`with the collector ${outage}, orders succeed, the queue stays bounded and losses are counted`, async () => {
      const collector = outage === 'down' ? undefined : brokenCollector(outage)
      if (collector) cleanups.push(collector.stop)
      const shop = await startProcesses({
        OTEL_EXPORTER_OTLP_ENDPOINT: collector?.endpoint ?? 'http://127.0.0.1:1',
        OTEL_EXPORTER_OTLP_TIMEOUT: '500',
        OTEL_BSP_MAX_QUEUE_SIZE: '40',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
      })
      cleanups.push(shop.stop)
      for (let i = 0; i < 30; i++) {
        const started = performance.now()
        const response = await shop.placeOrder({
          userId: `u-${outage}-${i}`,
          items: [{ id: 'sku-cable', quantity: 1 }],
        })
        expect(response.status).toBe(201)
        // Exports take up to 0.5 s per attempt and are retried for seconds: none of that may reach the request.
        expect(performance.now() - started).toBeLessThan(2000)
      }
      const stats = await telemetryStats(shop.ports.order)
      expect(stats.queued).toBeLessThanOrEqual(40)
      expect(stats.exported).toBe(0)
      // Spans that could not be sent after their retries are counted as failed, those that found the queue full as dropped.
      expect(stats.failed + stats.dropped).toBeGreaterThan(0)
      if (outage === 'unavailable') expect(collector!.received.requests).toBeGreaterThan(stats.failed / 10)
    })
  }
})
