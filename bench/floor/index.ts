// The floor of the order path: four Bun processes with the shop's hops and libSQL statements and nothing else (see
// services.ts). The untraced shop's orders/s divided by the floor's says what the shop's own machinery costs: the
// framework, validation, the credential and deadline, the saga's bookkeeping. `startFloor()` runs it on free ports
// and a fresh data folder; `bun bench/floor/index.ts <service>` is one of its processes.
import { openDatabase } from '../../runtime/database.ts'
import { freshEnvironment, repositoryRoot, waitUntil } from '../../test/support/environment.ts'
import { removeData, restock } from '../systems.ts'
import { type FloorService, floorHandler } from './services.ts'

const SERVICES: FloorService[] = ['inventory', 'payment', 'order', 'gateway']
const PORT_VARIABLES: Record<FloorService, string> = {
  gateway: 'GATEWAY_PORT',
  order: 'ORDER_PORT',
  inventory: 'INVENTORY_PORT',
  payment: 'PAYMENT_PORT',
}

export interface Floor {
  gateway: string
  /** The floor's data folder: order.db, inventory.db, payment.db. */
  dataDir: string
  stop(): Promise<void>
}

/** Starts the four processes, each once its database is migrated and /healthz answers; stock that never runs out. */
export async function startFloor(): Promise<Floor> {
  const system = await freshEnvironment('floor')
  const children: ReturnType<typeof Bun.spawn>[] = []
  const output: string[] = []
  const stop = async () => {
    for (const child of children) child.kill('SIGTERM')
    await Promise.all(children.map((child) => child.exited))
    await removeData(system.dataDir)
  }
  try {
    for (const service of SERVICES) {
      const child = Bun.spawn([process.execPath, 'bench/floor/index.ts', service], {
        cwd: repositoryRoot,
        env: { ...process.env, ...system.env },
        // The order service's notification lines go through a pipe, as the shop's go to the runner; read and dropped.
        stdout: 'pipe',
        stderr: 'pipe',
      })
      children.push(child)
      void drain(child.stdout)
      void new Response(child.stderr).text().then((text) => text && output.push(`${service}: ${text}`))
      const healthy = await waitUntil(
        () =>
          fetch(`http://127.0.0.1:${system.ports[service]}/healthz`).then(
            (response) => response.ok,
            () => false,
          ),
        30_000,
      )
      if (!healthy) throw new Error(`the floor's ${service} did not start:\n${output.join('\n')}`)
    }
    await restock(system.database('inventory'))
  } catch (error) {
    await stop()
    throw error
  }
  return { gateway: system.gateway, dataDir: system.dataDir, stop }
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  for await (const _ of stream as unknown as AsyncIterable<Uint8Array>) {
  }
}

async function serve(service: FloorService): Promise<void> {
  const env = process.env
  const port = (name: FloorService) => Number(env[PORT_VARIABLES[name]])
  const urls = Object.fromEntries(SERVICES.map((name) => [name, `http://127.0.0.1:${port(name)}`])) as Record<
    FloorService,
    string
  >
  // `@libsql/client`'s own file client, as when the floor's goal was set: what the shop's client saves counts.
  const db =
    service === 'gateway'
      ? undefined
      : await openDatabase(`file:${env.DATA_DIR}/${service}.db`, `drizzle/${service}`, undefined, { fileClient: false })
  const providerLatencyMs = Number(env.PAYMENT_PROVIDER_LATENCY_MS ?? 20)
  Bun.serve({
    hostname: '127.0.0.1',
    port: port(service),
    fetch: floorHandler(service, { urls, db, providerLatencyMs }),
  })
  process.once('SIGTERM', () => process.exit(0))
}

if (import.meta.main) {
  const service = process.argv[2] as FloorService
  if (!SERVICES.includes(service)) {
    console.error(`usage: bun bench/floor/index.ts ${SERVICES.join('|')}`)
    process.exit(2)
  }
  await serve(service)
}
