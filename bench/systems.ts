import { rm } from 'node:fs/promises'
import type { Client } from '@libsql/client'
import type { ExportStats } from '../shared/telemetry/processor.ts'
import { type RunningSystem, type Runtime, startSystem } from '../test/support/system.ts'

/**
 * How a system traces: `off` (`OTEL_SDK_DISABLED`); `sink`, every span sampled and exported to a discard sink in
 * another process, so what it costs is the library's own work; `collector`, every span exported to the collector
 * its `bun run dev` starts, on the same cores, as a developer runs it; `sampled`, the same with one trace in ten
 * sampled (`parentbased_traceidratio`, 0.1), as a busy service in production would run.
 */
export type Tracing = 'off' | 'sink' | 'collector' | 'sampled'

/** The share of traces the `sampled` systems keep. */
export const SAMPLED_RATIO = 0.1

export const SHOP_SERVICES = ['gateway', 'order', 'inventory', 'payment'] as const
export type ShopService = (typeof SHOP_SERVICES)[number]

/** Whole systems started through `bun run dev`, each once, shared by the parts of the bench. */
export class SystemPool {
  private readonly systems = new Map<string, Promise<RunningSystem>>()

  /** `sinkEndpoint`: where the `sink` systems export. */
  constructor(private readonly sinkEndpoint: string) {}

  get(runtime: Runtime, tracing: Tracing): Promise<RunningSystem> {
    const key = `${runtime}/${tracing}`
    if (!this.systems.has(key)) this.systems.set(key, this.start(runtime, tracing))
    return this.systems.get(key)!
  }

  async stop(runtime?: Runtime): Promise<void> {
    const stopping = [...this.systems].filter(([key]) => !runtime || key.startsWith(`${runtime}/`))
    for (const [key] of stopping) this.systems.delete(key)
    await Promise.all(
      stopping.map(([, system]) =>
        system.then(
          async (running) => {
            await running.stop()
            await removeData(running.dataDir)
          },
          () => {},
        ),
      ),
    )
  }

  private async start(runtime: Runtime, tracing: Tracing): Promise<RunningSystem> {
    const traced = {
      OTEL_TRACES_SAMPLER: 'always_on',
      // The library's default batching, not the quick flushes the end-to-end tests ask for.
      OTEL_BSP_SCHEDULE_DELAY: '1000',
    }
    const environments: Record<Tracing, Record<string, string>> = {
      off: { OTEL_SDK_DISABLED: 'true' },
      sink: { ...traced, OTEL_EXPORTER_OTLP_ENDPOINT: this.sinkEndpoint },
      collector: traced,
      sampled: {
        ...traced,
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: String(SAMPLED_RATIO),
      },
    }
    const env = environments[tracing]
    const system = await startSystem(runtime, env)
    await restock(system.database('inventory'))
    return system
  }
}

/** A system's data folder, once its processes have stopped: a full run would otherwise leave a dozen behind. */
export function removeData(dataDir: string): Promise<void> {
  return rm(dataDir, { recursive: true, force: true }).catch(() => {})
}

/** Stock no load phase can sell out: an order refused for stock (409) is cheaper than a paid one and would flatter. */
export async function restock(inventory: Client): Promise<void> {
  await inventory.execute('update products set available = 1000000000')
  inventory.close()
}

/** Each service's span counts, as its /healthz reports them (Bun and Deno; on Workers only the gateway answers). */
export async function telemetryStats(
  ports: Record<ShopService, number>,
  services: readonly ShopService[] = SHOP_SERVICES,
): Promise<Record<ShopService, ExportStats>> {
  const stats = await Promise.all(
    services.map(async (name) => {
      const body = (await (await fetch(`http://127.0.0.1:${ports[name]}/healthz`)).json()) as {
        telemetry?: ExportStats
      }
      return [name, { queued: 0, exported: 0, failed: 0, dropped: 0, ...body.telemetry }] as const
    }),
  )
  return Object.fromEntries(stats) as Record<ShopService, ExportStats>
}

/**
 * Waits (5 s at most) until the services have sent what a load phase left queued: nothing queued and no more spans
 * exported than at the last look. The export after a phase would otherwise land in the next phase, on another side.
 * Workers export on each request (flush per request): a short pause is enough there.
 */
export async function settle(system: { ports: Record<ShopService, number> }, runtime: Runtime): Promise<void> {
  if (runtime === 'workers') return Bun.sleep(500)
  const deadline = Date.now() + 5000
  let last = -1
  while (Date.now() < deadline) {
    const stats = Object.values(await telemetryStats(system.ports))
    const exported = stats.reduce((sum, { exported, failed }) => sum + exported + failed, 0)
    if (stats.every(({ queued }) => queued === 0) && exported === last) return
    last = exported
    await Bun.sleep(200)
  }
}
