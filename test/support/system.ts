import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@libsql/client'

export type Runtime = 'bun' | 'deno' | 'workers'

/** Runtimes the end-to-end suite runs on: all by default, or those named in E2E_RUNTIMES (comma separated). */
export const runtimes: Runtime[] = (process.env.E2E_RUNTIMES ?? 'bun').split(',').map((name) => name.trim() as Runtime)

const root = new URL('../../', import.meta.url).pathname

/**
 * Starts the whole system through `bun run dev --runtime <runtime>`, exactly as a developer does, on free ports
 * and a fresh data folder, exporting to `env.OTEL_EXPORTER_OTLP_ENDPOINT`.
 */
export async function startSystem(runtime: Runtime, env: Record<string, string> = {}) {
  const base = 20_000 + Math.floor(Math.random() * 4000) * 10
  const ports = { gateway: base, order: base + 1, inventory: base + 2, payment: base + 3, collector: base + 4 }
  const dataDir = await mkdtemp(join(tmpdir(), `shop-${runtime}-`))
  const output: string[] = []
  const child = Bun.spawn([process.execPath, 'scripts/dev.ts', '--runtime', runtime], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      GATEWAY_PORT: String(ports.gateway),
      ORDER_PORT: String(ports.order),
      INVENTORY_PORT: String(ports.inventory),
      PAYMENT_PORT: String(ports.payment),
      COLLECTOR_PORT: String(ports.collector),
      SQLD_PORT: String(base + 5),
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...env,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  void collect(child.stdout, output)
  void collect(child.stderr, output)
  const gateway = `http://127.0.0.1:${ports.gateway}`
  const ready = await waitFor(() => output.join('').includes('ready on'), () => child.exitCode !== null, 120_000)
  if (!ready) {
    child.kill('SIGTERM')
    await child.exited
    throw new Error(`the system did not start on ${runtime}:\n${output.join('')}`)
  }
  return {
    gateway,
    ports,
    dataDir,
    output,
    /** The service's database, read as the service wrote it. */
    database: (name: 'order' | 'inventory' | 'payment') => createClient({ url: `file:${dataDir}/${name}.db` }),
    placeOrder: (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${gateway}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }),
    async stop() {
      child.kill('SIGTERM')
      await child.exited
    },
  }
}

export type RunningSystem = Awaited<ReturnType<typeof startSystem>>

async function waitFor(done: () => boolean, failed: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (done()) return true
    if (failed()) return false
    await Bun.sleep(50)
  }
  return false
}

async function collect(stream: ReadableStream<Uint8Array>, into: string[]) {
  const decoder = new TextDecoder()
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) into.push(decoder.decode(chunk, { stream: true }))
}
