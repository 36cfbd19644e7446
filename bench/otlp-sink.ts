/**
 * An OTLP/HTTP endpoint on loopback that accepts every export and keeps only counts: where traced systems send their
 * spans when the collector is not the target. It answers as a collector does, so no exporter retries.
 */
export function startOtlpSink() {
  let requests = 0
  let bytes = 0
  const server = Bun.serve({
    port: 0,
    async fetch(request) {
      bytes += (await request.arrayBuffer()).byteLength
      requests++
      return request.headers.get('content-type') === 'application/json'
        ? Response.json({})
        : new Response(new Uint8Array(0), { headers: { 'content-type': 'application/x-protobuf' } })
    },
  })
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    received: () => ({ requests, bytes }),
    stop: () => server.stop(true),
  }
}

export type OtlpSink = ReturnType<typeof startOtlpSink>
