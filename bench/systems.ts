import type { Client } from '@libsql/client'
import { type RunningSystem, type Runtime, startSystem } from '../test/support/system.ts'

export type Tracing = 'on' | 'off'

/**
 * Whole systems started through `bun run dev`, each once, shared by the parts of the bench: tracing on (every span
 * sampled and exported) or off (`OTEL_SDK_DISABLED`).
 */
export class SystemPool {
  private readonly systems = new Map<string, Promise<RunningSystem>>()

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
          (running) => running.stop(),
          () => {},
        ),
      ),
    )
  }

  private async start(runtime: Runtime, tracing: Tracing): Promise<RunningSystem> {
    const env: Record<string, string> =
      tracing === 'off'
        ? { OTEL_SDK_DISABLED: 'true' }
        : {
            OTEL_TRACES_SAMPLER: 'always_on',
            // The library's default batching, not the quick flushes the end-to-end tests ask for. Spans go to the
            // collector `bun run dev` starts, whose work shares the machine as it does for a developer.
            OTEL_BSP_SCHEDULE_DELAY: '1000',
          }
    const system = await startSystem(runtime, env)
    await restock(system.database('inventory'))
    return system
  }
}

/** Stock no load phase can sell out: an order refused for stock (409) is cheaper than a paid one and would flatter. */
export async function restock(inventory: Client): Promise<void> {
  await inventory.execute('update products set available = 1000000000')
  inventory.close()
}
