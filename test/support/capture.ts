import { createTelemetry, type Telemetry } from '../../shared/telemetry/provider.ts'
import { type FlatSpan, flattenExportRequest } from './otlp-json.ts'

/**
 * A real Telemetry (provider, processor, OTLP exporter, JSON serializer) whose transport hands the request body
 * to the test instead of the network.
 */
export function captureTelemetry(serviceName: string, env: Record<string, string> = {}) {
  const received: FlatSpan[] = []
  const telemetry: Telemetry = createTelemetry({
    env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', ...env },
    serviceName,
    batch: { scheduledDelayMillis: 0 },
    exporter: {
      fetch: async (_input, init) => {
        received.push(...flattenExportRequest(JSON.parse(new TextDecoder().decode(init!.body as Uint8Array))))
        return new Response(null, { status: 200 })
      },
    },
  })
  return {
    telemetry,
    /** Flushes and returns every span exported so far. */
    async spans(): Promise<FlatSpan[]> {
      await telemetry.flush()
      return received
    },
  }
}
