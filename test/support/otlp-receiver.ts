import { type FlatSpan, flattenExportRequest } from './otlp-json.ts'

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
    /** Waits until the trace holds the spans `done` asks for (exports are batched), then returns the trace. */
    async trace(traceId: string, done: (trace: FlatSpan[]) => boolean, timeoutMs = 10_000): Promise<FlatSpan[]> {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const trace = spans.filter((span) => span.traceId === traceId)
        if (done(trace) || Date.now() > deadline) return trace
        await Bun.sleep(50)
      }
    },
    stop: () => server.stop(true),
  }
}
