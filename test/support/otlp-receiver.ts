import { type FlatSpan, flattenExportRequest } from './otlp-json.ts'

/** Longer than the services' export delay in tests (OTEL_BSP_SCHEDULE_DELAY=100). */
const QUIET_MS = 300

/** An OTLP/HTTP JSON endpoint on loopback that keeps every span it receives. */
export function startOtlpReceiver() {
  const spans: FlatSpan[] = []
  const server = Bun.serve({
    port: 0,
    async fetch(request) {
      if (request.headers.get('content-type') !== 'application/json') return new Response('JSON only', { status: 415 })
      spans.push(...flattenExportRequest(await request.json()))
      return Response.json({})
    },
  })
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    spans,
    /**
     * Waits until the trace holds the spans `done` asks for, then until no more of it arrives for a while (each
     * service exports on its own schedule), and returns it.
     */
    async trace(traceId: string, done: (trace: FlatSpan[]) => boolean, timeoutMs = 10_000): Promise<FlatSpan[]> {
      const deadline = Date.now() + timeoutMs
      const current = () => spans.filter((span) => span.traceId === traceId)
      while (!done(current()) && Date.now() < deadline) await Bun.sleep(50)
      for (let seen = -1; seen !== current().length && Date.now() < deadline; ) {
        seen = current().length
        await Bun.sleep(QUIET_MS)
      }
      return current()
    },
    stop: () => server.stop(true),
  }
}
