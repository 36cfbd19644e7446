// An OTLP/HTTP endpoint on loopback that accepts every export and keeps only counts: where traced systems send their
// spans when the collector is not the target. It answers as a collector does, so no exporter retries.
// `startOtlpSink()` serves in the calling process (span-cost.ts, in process by design); `spawnOtlpSink()` runs it
// as a process of its own (`bun bench/otlp-sink.ts`), so that reading and dropping the spans is not charged to the
// load generator's event loop or to the services.

export interface SinkCounts {
  requests: number
  bytes: number
}

function serveSink() {
  const counts: SinkCounts = { requests: 0, bytes: 0 }
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      if (request.method === 'GET' && new URL(request.url).pathname === '/counts') return Response.json(counts)
      counts.bytes += (await request.arrayBuffer()).byteLength
      counts.requests++
      return request.headers.get('content-type') === 'application/json'
        ? Response.json({})
        : new Response(new Uint8Array(0), { headers: { 'content-type': 'application/x-protobuf' } })
    },
  })
  return { server, counts }
}

/** The sink in this process. */
export function startOtlpSink() {
  const { server, counts } = serveSink()
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    received: (): SinkCounts => ({ ...counts }),
    stop: () => server.stop(true),
  }
}

export type OtlpSink = ReturnType<typeof startOtlpSink>

/** The sink as a process of its own; resolves once it listens. */
export async function spawnOtlpSink() {
  const child = Bun.spawn([process.execPath, new URL(import.meta.url).pathname], { stdout: 'pipe', stderr: 'inherit' })
  const reader = child.stdout.getReader()
  let text = ''
  while (!text.includes('\n')) {
    const { value, done } = await reader.read()
    if (done) throw new Error('the OTLP sink process ended before listening')
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  const endpoint = text.trim()
  return {
    endpoint,
    pid: child.pid,
    received: async (): Promise<SinkCounts> => (await fetch(`${endpoint}/counts`)).json() as Promise<SinkCounts>,
    async stop() {
      child.kill('SIGTERM')
      await child.exited
    },
  }
}

export type SinkProcess = Awaited<ReturnType<typeof spawnOtlpSink>>

if (import.meta.main) {
  const { server } = serveSink()
  console.log(`http://127.0.0.1:${server.port}`)
  process.once('SIGTERM', () => process.exit(0))
}
